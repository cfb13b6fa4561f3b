// The render loop's time slice, as the kernel reports it (sched_getattr(2)): short
// while it waits for frames, held long while it waits out an item's first frame.
#include "core/ThreadPriority.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

// The calling thread's slice in nanoseconds: 0 where the kernel keeps none of its own
// (before Linux 6.12) or has no sched_getattr.
std::uint64_t slice_ns() {
#ifdef SYS_sched_getattr
    struct {
        std::uint32_t size, policy;
        std::uint64_t flags;
        std::int32_t nice;
        std::uint32_t priority;
        std::uint64_t runtime, deadline, period;
    } attr{};
    if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) == 0)
        return attr.runtime;
#endif
    return 0;
}

} // namespace

TEST_CASE("the render loop holds a long slice while it waits out a first frame and gets its "
          "short one back") {
    // On a thread of its own: the test runner's keeps its slice.
    std::vector<std::uint64_t> seen;
    std::thread([&] {
        seen.push_back(slice_ns());
        milepost::prefer_prompt_wakeups();
        seen.push_back(slice_ns());
        milepost::hold_the_core(true);
        seen.push_back(slice_ns());
        milepost::hold_the_core(false);
        seen.push_back(slice_ns());
    }).join();
    REQUIRE(seen.size() == 4);
    if (seen[1] == 0) { // no slices of its own in this kernel: nothing to hold
        CHECK(seen[2] == 0);
        CHECK(seen[3] == 0);
        return;
    }
    CHECK(seen[1] == 100'000);
    CHECK(seen[2] == 3'000'000);
    CHECK(seen[3] == 100'000);
}
