// Counts heap allocations made by this process (malloc and friends, and so
// operator new), for tests that pin "no allocation in the steady state".
// Linking alloc_counter.cc into a binary interposes the allocator entry
// points; counting is process-wide.
#pragma once

#include <cstdint>

namespace rvm {

int64_t HeapAllocationCount();

}  // namespace rvm
