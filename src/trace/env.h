// Reading OTEL_* environment variables with errors that name the variable. Used
// only by the explicit FromEnv() functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "kafkatrace/status.h"

namespace kafkatrace::env {

// The value, or nullopt when unset or empty (the OTel spec treats both alike).
std::optional<std::string> Get(const char* name);
// "true"/"false", any case.
Result<bool> Bool(const char* name, bool default_value);
Result<uint64_t> Uint(const char* name, uint64_t default_value);
Result<std::chrono::milliseconds> Millis(
    const char* name, std::chrono::milliseconds default_value);
std::string Lowercase(std::string s);

}  // namespace kafkatrace::env
