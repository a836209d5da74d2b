// Minimal streaming JSON writer shared by the JSON lines, console and OTLP/JSON
// encoders. Escapes per RFC 8259; invalid UTF-8 bytes become U+FFFD so output
// always parses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kafkatrace::json {

// Appends `s` as a quoted JSON string.
void AppendString(std::string& out, std::string_view s);
// Appends a number; NaN and infinities (not JSON) become the strings "NaN",
// "Infinity".
void AppendDouble(std::string& out, double value);
void AppendInt(std::string& out, int64_t value);
void AppendUint(std::string& out, uint64_t value);

// Builds one object or array with commas handled; keys are escaped.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  Writer& BeginObject() {
    Separate();
    out_ += '{';
    first_ = true;
    return *this;
  }
  Writer& EndObject() {
    out_ += '}';
    first_ = false;
    return *this;
  }
  Writer& BeginArray() {
    Separate();
    out_ += '[';
    first_ = true;
    return *this;
  }
  Writer& EndArray() {
    out_ += ']';
    first_ = false;
    return *this;
  }
  Writer& Key(std::string_view key) {
    Separate();
    AppendString(out_, key);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  Writer& String(std::string_view s) {
    Separate();
    AppendString(out_, s);
    return *this;
  }
  Writer& Int(int64_t v) {
    Separate();
    AppendInt(out_, v);
    return *this;
  }
  Writer& Uint(uint64_t v) {
    Separate();
    AppendUint(out_, v);
    return *this;
  }
  Writer& Double(double v) {
    Separate();
    AppendDouble(out_, v);
    return *this;
  }
  Writer& Bool(bool v) {
    Separate();
    out_ += v ? "true" : "false";
    return *this;
  }
  // Appends an already-encoded JSON value.
  Writer& Raw(std::string_view json) {
    Separate();
    out_ += json;
    return *this;
  }
  Writer& Null() {
    Separate();
    out_ += "null";
    return *this;
  }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace kafkatrace::json
