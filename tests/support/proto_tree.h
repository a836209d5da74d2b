// An independent, test-only protobuf wire-format decoder: turns bytes into a
// tree of fields so tests can check what the OTLP encoder wrote without
// trusting the encoder's own code.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kafkatrace::testing {

struct ProtoField {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t number_value = 0;  // varint, fixed64 or fixed32
  std::string bytes;          // length-delimited payload
};

class ProtoMessage {
 public:
  static ProtoMessage Parse(std::string_view data) {
    ProtoMessage message;
    size_t pos = 0;
    auto varint = [&]() {
      uint64_t result = 0;
      for (int shift = 0;; shift += 7) {
        if (pos >= data.size() || shift > 63)
          throw std::runtime_error("bad varint");
        uint8_t b = static_cast<uint8_t>(data[pos++]);
        result |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return result;
      }
    };
    while (pos < data.size()) {
      uint64_t key = varint();
      ProtoField field;
      field.number = static_cast<uint32_t>(key >> 3);
      field.wire_type = static_cast<uint32_t>(key & 7);
      if (field.wire_type == 0) {
        field.number_value = varint();
      } else if (field.wire_type == 1 || field.wire_type == 5) {
        size_t n = field.wire_type == 1 ? 8 : 4;
        if (pos + n > data.size()) throw std::runtime_error("truncated fixed");
        std::memcpy(&field.number_value, data.data() + pos, n);
        pos += n;
      } else if (field.wire_type == 2) {
        uint64_t n = varint();
        if (pos + n > data.size()) throw std::runtime_error("truncated bytes");
        field.bytes = std::string(data.substr(pos, n));
        pos += n;
      } else {
        throw std::runtime_error("unexpected wire type");
      }
      message.fields_.push_back(std::move(field));
    }
    return message;
  }

  std::vector<const ProtoField*> All(uint32_t number) const {
    std::vector<const ProtoField*> out;
    for (const auto& f : fields_) {
      if (f.number == number) out.push_back(&f);
    }
    return out;
  }
  bool Has(uint32_t number) const { return !All(number).empty(); }
  const ProtoField& One(uint32_t number) const {
    auto all = All(number);
    if (all.size() != 1) {
      throw std::runtime_error("field " + std::to_string(number) + " occurs " +
                               std::to_string(all.size()) + " times");
    }
    return *all[0];
  }
  ProtoMessage Sub(uint32_t number) const { return Parse(One(number).bytes); }
  std::vector<ProtoMessage> Subs(uint32_t number) const {
    std::vector<ProtoMessage> out;
    for (const auto* f : All(number)) out.push_back(Parse(f->bytes));
    return out;
  }
  std::string Str(uint32_t number) const { return One(number).bytes; }
  uint64_t Num(uint32_t number) const { return One(number).number_value; }

 private:
  std::vector<ProtoField> fields_;
};

}  // namespace kafkatrace::testing
