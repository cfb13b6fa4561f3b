// The render loop's time slice, as the kernel reports it (sched_getattr(2)): short
// while it waits for frames, held long while it waits out an item's first frame.
#include "core/ThreadPriority.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <thread>
#include <vector>

TEST_CASE("the render loop holds a long slice while it waits out a first frame and gets its "
          "short one back") {
    using milepost::test::slice_ns;
    // On a thread of its own: the test runner's keeps its slice.
    std::vector<std::uint64_t> seen;
    std::thread([&] {
        milepost::prefer_prompt_wakeups();
        seen.push_back(slice_ns(0));
        milepost::hold_the_core();
        seen.push_back(slice_ns(0));
        milepost::prefer_prompt_wakeups(); // given back
        seen.push_back(slice_ns(0));
    }).join();
    REQUIRE(seen.size() == 3);
    if (seen[0] == 0) { // no slices of its own in this kernel: nothing to hold
        CHECK(seen[1] == 0);
        CHECK(seen[2] == 0);
        return;
    }
    CHECK(seen[0] == 100'000);
    CHECK(seen[1] == 3'000'000);
    CHECK(seen[2] == 100'000);
}
