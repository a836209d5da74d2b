#include "kafkatrace/trace_state.h"

#include <array>

#include "common/text.h"

namespace kafkatrace {
namespace {

bool IsKeyStartChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsKeyChar(char c) {
  return IsKeyStartChar(c) || c == '_' || c == '-' || c == '*' || c == '/' ||
         c == '@';
}
// Printable ASCII except ',' and '='.
bool IsValueChar(char c) {
  return c >= 0x20 && c <= 0x7e && c != ',' && c != '=';
}

// Calls f(key, value) for each non-empty member; returns false on the first
// invalid one.
template <typename F>
bool ForEachMember(std::string_view list, F&& f) {
  while (true) {
    size_t comma = list.find(',');
    std::string_view member = text::TrimOws(list.substr(0, comma));
    if (!member.empty()) {
      size_t eq = member.find('=');
      if (eq == std::string_view::npos) return false;
      std::string_view key = member.substr(0, eq);
      std::string_view value = member.substr(eq + 1);
      if (!TraceState::IsValidKey(key) || !TraceState::IsValidValue(value))
        return false;
      if (!f(key, value)) return false;
    }
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

bool TraceState::IsValidKey(std::string_view key) {
  if (key.empty() || key.size() > 256 || !IsKeyStartChar(key[0])) return false;
  for (char c : key.substr(1)) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

bool TraceState::IsValidValue(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (char c : value) {
    if (!IsValueChar(c)) return false;
  }
  return true;
}

std::optional<TraceState> TraceState::Parse(std::string_view combined) {
  std::array<std::string_view, kMaxMembers> keys;
  size_t count = 0;
  std::string header;
  bool too_many = false;
  bool valid = ForEachMember(
      combined, [&](std::string_view key, std::string_view value) {
        for (size_t i = 0; i < count; ++i) {
          if (keys[i] == key)
            return true;  // rule 12: keep the first, drop later duplicates
        }
        if (count == kMaxMembers) {
          too_many = true;
          return false;
        }
        keys[count++] = key;
        if (!header.empty()) header += ',';
        header.append(key).append(1, '=').append(value);
        return true;
      });
  if (!valid || too_many) return std::nullopt;
  return TraceState(std::move(header));
}

std::vector<std::pair<std::string_view, std::string_view>> TraceState::members()
    const {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  // The stored header is already valid, so parsing cannot fail.
  (void)ForEachMember(header(), [&](std::string_view k, std::string_view v) {
    out.emplace_back(k, v);
    return true;
  });
  return out;
}

std::optional<std::string_view> TraceState::Get(std::string_view key) const {
  std::optional<std::string_view> found;
  (void)ForEachMember(header(), [&](std::string_view k, std::string_view v) {
    if (k == key) {
      found = v;
      return false;
    }
    return true;
  });
  return found;
}

std::optional<TraceState> TraceState::WithMember(std::string_view key,
                                                 std::string_view value) const {
  if (!IsValidKey(key) || !IsValidValue(value)) return std::nullopt;
  std::string header;
  header.append(key).append(1, '=').append(value);
  size_t count = 1;
  for (const auto& [k, v] : members()) {
    if (k == key) continue;
    if (count == kMaxMembers) break;  // the rightmost member gives way
    header.append(1, ',').append(k).append(1, '=').append(v);
    ++count;
  }
  return TraceState(std::move(header));
}

}  // namespace kafkatrace
