// wall_lead: the wall clock against the monotonic one, read as one moment. A reading
// that something came between would put an item's end and the next one's first
// frame (Playback) and a trace line's "wall" (Trace) off by as long. TurnLead: that
// reading once a loop turn, so that a boundary plans with one.
#include "app/LoopClock.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <vector>

using namespace milepost;
using namespace std::chrono_literals;

namespace {

using Wall = std::chrono::system_clock::time_point;

// Clocks that give the times listed, one a read, and count the reads.
struct FakeClocks {
    std::vector<Clock::duration> monotonic;
    std::vector<Wall::duration> wall;
    size_t monotonic_reads = 0, wall_reads = 0;

    Clock::duration lead() {
        return wall_lead([this] { return Clock::time_point(monotonic.at(monotonic_reads++)); },
                         [this] { return Wall(wall.at(wall_reads++)); });
    }
};

const Wall::duration kEpoch = std::chrono::sys_days(std::chrono::December / 1 / 2026)
                                  .time_since_epoch(); // the wall clock's time at the first read

} // namespace

TEST_CASE("the two clocks read undisturbed give the lead at the reads' midpoint at once") {
    FakeClocks c{{100ms, 100ms + 4us}, {kEpoch}};
    CHECK(c.lead() == kEpoch - (100ms + 2us));
    CHECK(c.monotonic_reads == 2);
    CHECK(c.wall_reads == 1);
}

TEST_CASE("a reading something came between is taken again, and the second one counts") {
    // Preempted for 5 ms between the wall clock's read and the second monotonic one:
    // that reading would make the wall clock 2.5 ms late against the monotonic one.
    FakeClocks c{{100ms, 105ms, 106ms, 106ms + 2us}, {kEpoch, kEpoch + 6ms}};
    CHECK(c.lead() == kEpoch + 6ms - (106ms + 1us));
    CHECK(c.monotonic_reads == 4);
    CHECK(c.wall_reads == 2);
}

TEST_CASE("three disturbed readings: the read stops and the closest of them counts") {
    FakeClocks c{{100ms, 103ms, 110ms, 110ms + 40us, 120ms, 121ms},
                 {kEpoch, kEpoch + 10ms, kEpoch + 20ms}};
    CHECK(c.lead() == kEpoch + 10ms - (110ms + 20us));
    CHECK(c.monotonic_reads == 6);
    CHECK(c.wall_reads == 3);
}

TEST_CASE("a reading 19 us apart counts as one moment and one 20 us apart does not") {
    FakeClocks close{{0ms, 19us}, {kEpoch}};
    CHECK(close.lead() == kEpoch - 9500ns);
    FakeClocks apart{{0ms, 20us, 30us, 31us}, {kEpoch, kEpoch + 30us}};
    CHECK(apart.lead() == kEpoch + 30us - 30500ns);
    CHECK(apart.wall_reads == 2);
}

TEST_CASE("the real clocks' lead is the wall clock less the monotonic one") {
    const auto lead = wall_lead();
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    const auto monotonic = Clock::now().time_since_epoch();
    const auto from_the_reads = std::chrono::duration_cast<Clock::duration>(wall) - monotonic;
    CHECK(std::abs(std::chrono::duration<double>(from_the_reads - lead).count()) < 0.05);
}

TEST_CASE("the clocks are read once a loop turn: again only for the next turn's time") {
    int reads = 0;
    TurnLead lead([&] { return std::chrono::milliseconds(++reads); });
    const Clock::time_point turn{std::chrono::seconds(10)}, next = turn + 16ms;
    CHECK(lead.at(turn) == 1ms);
    CHECK(lead.at(turn) == 1ms); // the same turn: the same reading, none taken
    CHECK(reads == 1);
    CHECK(lead.at(next) == 2ms);
    CHECK(lead.at(next) == 2ms);
    CHECK(reads == 2);
}
