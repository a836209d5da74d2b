// Attributes: key/value pairs on spans, events, links and resources. Values are
// the OpenTelemetry types: string, bool, int64, double, and homogeneous arrays
// of them. Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace kafkatrace {

using AttributeValue =
    std::variant<bool, int64_t, double, std::string, std::vector<bool>,
                 std::vector<int64_t>, std::vector<double>,
                 std::vector<std::string>>;

// An attribute key. Keys of up to 44 bytes (every semantic-convention key) live
// inline, so setting an attribute allocates nothing for its key. 48 bytes: a
// span holds one per attribute, and in-flight spans are most of a traced
// producer's memory.
class AttributeKey {
 public:
  AttributeKey() = default;
  AttributeKey(std::string_view key) {
    Assign(key);
  }  // NOLINT: implicit, like a string
  AttributeKey(const char* key)
      : AttributeKey(std::string_view(key)) {}  // NOLINT
  AttributeKey(const std::string& key)
      : AttributeKey(std::string_view(key)) {}  // NOLINT
  AttributeKey(const AttributeKey& other) { Assign(other.view()); }
  AttributeKey(AttributeKey&& other) noexcept { MoveFrom(other); }
  AttributeKey& operator=(const AttributeKey& other) {
    if (this != &other) Assign(other.view());
    return *this;
  }
  AttributeKey& operator=(AttributeKey&& other) noexcept {
    if (this != &other) {
      FreeHeap();
      MoveFrom(other);
    }
    return *this;
  }
  ~AttributeKey() { FreeHeap(); }

  // Replaces the key in place (no temporary).
  void Assign(std::string_view key) {
    if (key.size() > kInlineCapacity) {
      char* old = on_heap() ? heap() : nullptr;
      char* to = old;
      if (old == nullptr || key.size() > size_) {
        to = new char[key.size()];  // before anything changes: may throw
        delete[] old;
      }
      std::memcpy(to, key.data(), key.size());
      std::memcpy(inline_, &to, sizeof(to));
    } else {
      FreeHeap();
      CopyInline(inline_, key.data(), key.size());
    }
    size_ = static_cast<uint32_t>(key.size());
  }
  std::string_view view() const { return {data(), size_}; }
  operator std::string_view() const {
    return view();
  }  // NOLINT: reads like a string
  std::string str() const { return std::string(view()); }
  const char* data() const { return on_heap() ? heap() : inline_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  friend bool operator==(const AttributeKey& a, const AttributeKey& b) {
    return a.view() == b.view();
  }
  friend bool operator==(const AttributeKey& a, std::string_view b) {
    return a.view() == b;
  }
  friend bool operator==(const AttributeKey& a, const char* b) {
    return a.view() == std::string_view(b);
  }
  friend bool operator==(const AttributeKey& a, const std::string& b) {
    return a.view() == std::string_view(b);
  }
  friend std::ostream& operator<<(std::ostream& out, const AttributeKey& key) {
    return out << key.view();
  }

 private:
  static constexpr size_t kInlineCapacity = 44;
  // Copies n <= 48 bytes with fixed-size, overlapping moves the compiler
  // inlines: a key is copied per attribute set, and a libc memcpy call for
  // 16-34 bytes cost more than the copy itself.
  static void CopyInline(char* to, const char* from, size_t n) noexcept {
    if (n >= 16) {
      std::memcpy(to, from, 16);
      if (n > 32) std::memcpy(to + 16, from + 16, 16);
      std::memcpy(to + n - 16, from + n - 16, 16);
    } else if (n >= 8) {
      std::memcpy(to, from, 8);
      std::memcpy(to + n - 8, from + n - 8, 8);
    } else if (n >= 4) {
      std::memcpy(to, from, 4);
      std::memcpy(to + n - 4, from + n - 4, 4);
    } else {
      for (size_t i = 0; i < n; ++i) to[i] = from[i];
    }
  }
  bool on_heap() const { return size_ > kInlineCapacity; }
  // A longer key's characters: owned, their address kept in inline_'s first
  // bytes (memcpy: inline_ is not pointer-aligned).
  char* heap() const {
    char* p;
    std::memcpy(&p, inline_, sizeof(p));
    return p;
  }
  // GCC 12 at -O3 inlines this where a short key's characters are known and,
  // not pruning the on_heap() test, reads them as the pointer deleted:
  // -Wfree-nonheap-object on a branch that never runs.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
  void FreeHeap() noexcept {
    if (on_heap()) delete[] heap();
  }
#pragma GCC diagnostic pop
  void MoveFrom(AttributeKey& other) noexcept {
    size_ = other.size_;
    CopyInline(inline_, other.inline_, on_heap() ? sizeof(char*) : size_);
    other.size_ = 0;
  }
  uint32_t size_ = 0;
  char inline_[kInlineCapacity];
};
static_assert(sizeof(AttributeKey) == 48);

struct Attribute {
  Attribute() = default;
  Attribute(AttributeKey k, AttributeValue v)
      : key(std::move(k)), value(std::move(v)) {}
  // Builds key and value in place, without temporaries.
  template <typename T, typename... Args>
  Attribute(std::string_view k, std::in_place_type_t<T> type, Args&&... args)
      : key(k), value(type, std::forward<Args>(args)...) {}

  AttributeKey key;
  AttributeValue value;

  friend bool operator==(const Attribute&, const Attribute&) = default;
};

using Attributes = std::vector<Attribute>;

// A borrowed attribute value, the parameter type of Span::SetAttribute: callers
// pass literals, numbers, strings, string_views or vectors directly, and
// nothing is copied unless the span is recording. Valid only for the duration
// of the call it is passed to. 16 bytes and trivially copyable, so it travels
// in two registers: a larger one went through the stack, and reloading it
// stalled on every attribute set.
class AttributeArg {
 public:
  AttributeArg(bool v) : AttributeArg(Kind::kBool) {  // NOLINT: implicit
    bool_ = v;
  }
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
      AttributeArg(T v)  // NOLINT
      : AttributeArg(Kind::kInt64) {
    int_ = static_cast<int64_t>(v);
  }
  AttributeArg(double v) : AttributeArg(Kind::kDouble) {  // NOLINT
    double_ = v;
  }
  AttributeArg(const char* v) : AttributeArg(std::string_view(v)) {}  // NOLINT
  AttributeArg(std::string_view v)                                    // NOLINT
      : AttributeArg(Kind::kString, v.size()) {
    object_ = v.data();
  }
  AttributeArg(const std::string& v)
      : AttributeArg(std::string_view(v)) {}  // NOLINT
  AttributeArg(const AttributeValue& v)       // NOLINT
      : AttributeArg(Kind::kValue) {
    object_ = &v;
  }
  AttributeArg(const std::vector<bool>& v)  // NOLINT
      : AttributeArg(Kind::kBools) {
    object_ = &v;
  }
  AttributeArg(const std::vector<int64_t>& v)  // NOLINT
      : AttributeArg(Kind::kInt64s) {
    object_ = &v;
  }
  AttributeArg(const std::vector<double>& v)  // NOLINT
      : AttributeArg(Kind::kDoubles) {
    object_ = &v;
  }
  AttributeArg(const std::vector<std::string>& v)  // NOLINT
      : AttributeArg(Kind::kStrings) {
    object_ = &v;
  }

  // Calls `f` with the value: a bool, int64_t, double or std::string_view,
  // or the borrowed AttributeValue or array (const&).
  template <typename F>
  void Visit(F&& f) const {
    switch (kind()) {
      case Kind::kBool:
        return f(bool_);
      case Kind::kInt64:
        return f(int_);
      case Kind::kDouble:
        return f(double_);
      case Kind::kString:
        return f(string());
      case Kind::kValue:
        return f(object<AttributeValue>());
      case Kind::kBools:
        return f(object<std::vector<bool>>());
      case Kind::kInt64s:
        return f(object<std::vector<int64_t>>());
      case Kind::kDoubles:
        return f(object<std::vector<double>>());
      case Kind::kStrings:
        return f(object<std::vector<std::string>>());
    }
  }
  // The owned value to store.
  AttributeValue ToValue() const;
  // Stores the value into `out` in place (reusing a string's capacity), with
  // strings cut to `max_length` characters (0 = no limit).
  void AssignTo(AttributeValue& out, uint32_t max_length) const;
  // Appends key=value to `list`, building the value in place; same cut.
  // Inline for the scalar and string kinds: it runs once per attribute set
  // on a recording span, and a call there cost more than the append.
  [[gnu::always_inline]] void AppendTo(Attributes& list, std::string_view key,
                                       uint32_t max_length) const {
    switch (kind()) {
      case Kind::kString: {
        const std::string_view v = string();
        list.emplace_back(key, std::in_place_type<std::string>,
                          max_length != 0 ? v.substr(0, max_length) : v);
        return;
      }
      case Kind::kBool:
        list.emplace_back(key, std::in_place_type<bool>, bool_);
        return;
      case Kind::kInt64:
        list.emplace_back(key, std::in_place_type<int64_t>, int_);
        return;
      case Kind::kDouble:
        list.emplace_back(key, std::in_place_type<double>, double_);
        return;
      default:
        AppendOther(list, key, max_length);
    }
  }

 private:
  enum class Kind : uint8_t {
    kBool,
    kInt64,
    kDouble,
    kString,
    kValue,
    kBools,
    kInt64s,
    kDoubles,
    kStrings
  };
  // AppendTo for the array and AttributeValue kinds.
  void AppendOther(Attributes& list, std::string_view key,
                   uint32_t max_length) const;
  explicit AttributeArg(Kind kind, size_t size = 0)
      : int_(0),
        size_and_kind_((static_cast<uint64_t>(size) << 8) |
                       static_cast<uint8_t>(kind)) {}
  Kind kind() const { return static_cast<Kind>(size_and_kind_ & 0xFF); }
  std::string_view string() const {
    return {static_cast<const char*>(object_),
            static_cast<size_t>(size_and_kind_ >> 8)};
  }
  template <typename T>
  const T& object() const {
    return *static_cast<const T*>(object_);
  }

  union {
    bool bool_;
    int64_t int_;
    double double_;
    const void* object_;  // the string's characters, or the borrowed object
  };
  uint64_t size_and_kind_;  // string length << 8 | Kind
};
static_assert(sizeof(AttributeArg) == 16 &&
              std::is_trivially_copyable_v<AttributeArg>);

// Finds an attribute by key; nullptr if absent.
const AttributeValue* FindAttribute(const Attributes& attributes,
                                    std::string_view key) noexcept;

// A readable rendering for console output and tests: strings quoted, arrays in
// brackets.
std::string AttributeValueToString(const AttributeValue& value);

}  // namespace kafkatrace
