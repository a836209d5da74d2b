#include "kafkatrace/propagation/baggage_propagator.h"

#include "common/text.h"

namespace kafkatrace {
namespace {

constexpr std::string_view kBaggage = "baggage";

// RFC 7230 token characters.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// W3C baggage-octet: printable ASCII except space, '"', ',', ';' and '\'.
bool IsBaggageOctet(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x2B) || (u >= 0x2D && u <= 0x3A) ||
         (u >= 0x3C && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
}

std::optional<std::string> DecodeValue(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!IsBaggageOctet(c)) return std::nullopt;
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = text::HexDigitValue(s[i + 1]), lo = text::HexDigitValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

void EncodeValue(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    if (IsBaggageOctet(c) && c != '%') {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
}

}  // namespace

bool IsBaggageKey(std::string_view key) noexcept { return IsToken(key); }

Baggage ParseBaggage(std::string_view header) {
  Baggage baggage;
  size_t members = 0;
  size_t bytes = 0;
  while (!header.empty() && members < kBaggageMaxMembers) {
    size_t comma = header.find(',');
    std::string_view member = text::TrimOws(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view()
                                             : header.substr(comma + 1);
    if (member.empty()) continue;
    bytes += member.size() + (bytes == 0 ? 0 : 1);
    if (bytes > kBaggageMaxBytes)
      break;  // over the W3C size limit: keep what fit
    size_t semicolon = member.find(';');
    std::string_view pair = text::TrimOws(member.substr(0, semicolon));
    std::string_view metadata =
        semicolon == std::string_view::npos
            ? std::string_view()
            : text::TrimOws(member.substr(semicolon + 1));
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;  // malformed member: skipped
    std::string_view key = text::TrimOws(pair.substr(0, eq));
    auto value = DecodeValue(text::TrimOws(pair.substr(eq + 1)));
    if (!IsToken(key) || !value) continue;
    baggage = baggage.With(key, *value, metadata);
    ++members;
  }
  return baggage;
}

std::string FormatBaggage(const Baggage& baggage) {
  std::string header;
  size_t members = 0;
  for (const auto& entry : baggage.entries()) {
    if (members == kBaggageMaxMembers) break;
    if (!IsToken(entry.key)) continue;
    std::string member = entry.key;
    member += '=';
    EncodeValue(entry.value, member);
    if (!entry.metadata.empty()) {
      member += ';';
      member += entry.metadata;
    }
    if (header.size() + (header.empty() ? 0 : 1) + member.size() >
        kBaggageMaxBytes) {
      continue;  // does not fit; a smaller later member still may
    }
    if (!header.empty()) header += ',';
    header += member;
    ++members;
  }
  return header;
}

void BaggagePropagator::Inject(const Context& context,
                               TextMapCarrier& carrier) const noexcept {
  if (context.baggage.empty()) return;
  try {
    std::string header = FormatBaggage(context.baggage);
    if (!header.empty()) carrier.Set(kBaggage, header);
  } catch (...) {
  }
}

Context BaggagePropagator::Extract(const TextMapCarrier& carrier,
                                   Context base) const noexcept {
  try {
    std::string combined;
    bool found = false;
    carrier.Get(kBaggage, [&](std::string_view value) {
      if (found) combined += ',';
      found = true;
      combined.append(value);
    });
    if (found) base.baggage = ParseBaggage(combined);
  } catch (...) {
  }
  return base;
}

const std::vector<std::string>& BaggagePropagator::Fields() const noexcept {
  static const std::vector<std::string> kFields = {std::string(kBaggage)};
  return kFields;
}

}  // namespace kafkatrace
