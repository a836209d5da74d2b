// Attribute limit helpers shared by Span (after start) and Tracer (at start).
#pragma once

#include <cstdint>
#include <string_view>

#include "kafkatrace/attribute_value.h"

namespace kafkatrace::detail {

// Adds or replaces `key`, honouring the count and length limits; false if
// dropped.
bool SetLimitedAttribute(Attributes& attributes, std::string_view key,
                         AttributeValue&& value, uint32_t max_count,
                         uint32_t max_value_length);
// Cuts string values (and the strings of string arrays) to `max_length`
// characters; 0 means no limit.
void TruncateStrings(AttributeValue& value, uint32_t max_length);
// Applies the limits to a whole list; returns how many attributes were cut.
uint32_t LimitAttributes(Attributes& attributes, uint32_t max_count,
                         uint32_t max_value_length);

}  // namespace kafkatrace::detail
