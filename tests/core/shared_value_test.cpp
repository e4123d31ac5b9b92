// Tests of core/shared_value.hpp: copies share one immutable object, equality is by value.
#include <doctest/doctest.h>

#include <string>

#include "core/shared_value.hpp"

namespace mlsim {
namespace {

TEST_CASE("SharedValue: copies share the one object; equal values compare equal, empty only equals empty") {
  const SharedValue<std::string> empty;
  CHECK_FALSE(empty);
  CHECK(empty == SharedValue<std::string>{});
  const SharedValue<std::string> a(std::string("h200"));
  REQUIRE(a);
  CHECK(*a == "h200");
  CHECK(a->size() == 4);
  const SharedValue<std::string> copy = a;
  CHECK(copy.ptr() == a.ptr());                 // shared, not copied
  const SharedValue<std::string> same(std::string("h200"));
  CHECK(same.ptr() != a.ptr());                 // built apart...
  CHECK(same == a);                             // ...equal by value
  CHECK_FALSE(SharedValue<std::string>(std::string("h100")) == a);
  CHECK_FALSE(empty == a);
  CHECK_FALSE(a == empty);
}

}  // namespace
}  // namespace mlsim
