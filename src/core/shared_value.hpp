// An immutable value held by shared pointer, with value semantics for reading and comparing.
// Copies share the one object: a spec copied per design point (a sweep, a plan) shares its large
// read-only parts instead of copying them, and a solver can key tables it derives from such a part
// on the part itself (SharedValue::ptr) and build them once.
#pragma once

#include <memory>
#include <utility>

namespace mlsim {

template <class T>
class SharedValue {
 public:
  SharedValue() = default;
  SharedValue(T value) : ptr_(std::make_shared<const T>(std::move(value))) {}   // NOLINT: implicit, as std::optional

  explicit operator bool() const { return ptr_ != nullptr; }
  const T& operator*() const { return *ptr_; }
  const T* operator->() const { return ptr_.get(); }
  [[nodiscard]] const std::shared_ptr<const T>& ptr() const { return ptr_; }

  // Equal when both are empty, or both hold equal values (the same object or equal copies).
  friend bool operator==(const SharedValue& a, const SharedValue& b) {
    if (a.ptr_ == b.ptr_) return true;
    return a.ptr_ && b.ptr_ && *a.ptr_ == *b.ptr_;
  }

 private:
  std::shared_ptr<const T> ptr_;
};

}  // namespace mlsim
