// SHA-256 (FIPS 180-4), only to publish a device UUID as a hash instead of the identifier itself.
#pragma once

#include <string>
#include <string_view>

namespace mlsim::probe {

std::string sha256_hex(std::string_view data);   // lowercase hex, 64 characters

}  // namespace mlsim::probe
