// Frame timing of the real player: run alone (RUN_SERIAL), headless, in real time.
#include "PlayerRun.hpp"
#include "TimingClips.hpp"
#include "Trace.hpp"

#include <doctest/doctest.h>

using namespace milepost::test;
namespace fs = std::filesystem;

namespace {

// Plays clip a (1080p bars, 2 s) and then `b` (2 s at 30 fps) from a channel of the
// two, for `seconds`; returns the plays of the trace, a's and b's first.
std::vector<Play> play_two_clips(const TempDir& dir, const fs::path& b,
                                 const std::string& seconds) {
    const fs::path a = timing_clip_bars_1080p();
    fs::create_directories(dir / "c");
    fs::copy_file(a, dir / "c/a.mp4");
    fs::copy_file(b, dir / "c/b.mp4");
    dir.write("c/channel.toml", channel_toml("t", R"([[item]]
id = "a"
type = "video"
file = "a.mp4"
[[item]]
id = "b"
type = "video"
file = "b.mp4"
)"));
    RunResult r = run_player(
        dir, "", {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", seconds});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto all = plays(read_trace(dir / "t.ndjson"));
    REQUIRE(all.size() >= 2);
    REQUIRE(all[0].item == "a");
    REQUIRE(all[1].item == "b");
    REQUIRE(!all[0].frame_times.empty());
    REQUIRE(!all[1].frame_times.empty());
    return all;
}

} // namespace

TEST_CASE("two 1080p clips back to back: no gap, and every frame on time") {
    TempDir dir;
    // Both play whole: b ends 4 s after a's first frame, which a start-up slowed by the
    // sanitizer tree building beside it may take most of 0.6 s to show.
    auto all = play_two_clips(dir, timing_clip_fractal(1080), "5.6");
    const Play& first = all[0];
    const Play& second = all[1];
    const double gap = second.frame_times.front() - first.frame_times.back();
    MESSAGE("last frame of a to first frame of b: ", gap * 1000, " ms");
    // One frame period (33.3 ms): b's first frame is due on the plan's time, and the
    // boundary's work is done a moment ahead; the loop's wake-up adds a millisecond
    // or two either way, as to every frame, and more with the sanitizer tree
    // building in the background.
    CHECK(gap <= 1.0 / 30 + 0.005);
    // At least 99% of the frames presented, none of them far from their time.
    for (const Play* p : {&first, &second}) {
        CAPTURE(p->item);
        CAPTURE(p->end_detail);
        REQUIRE(p->end_detail.find("stopped") == std::string::npos);
        CHECK(p->frame_times.size() + p->dropped == 60);
        CHECK(p->frame_times.size() >= 59);
        for (size_t i = 0; i < p->frame_times.size(); ++i) {
            const double late = p->frame_times[i] - p->frame_times.front() - p->frame_pts[i];
            CHECK_MESSAGE(late < 0.050, p->item, " frame ", i, " late by ", late);
        }
    }
}

TEST_CASE("a video scaled onto the screen after one that is not: its first frame is on time too") {
    // The 720p video's first frame costs more to draw than the 1080p one's before it (a
    // new converter, scaling, pixels long out of the cache): composed ahead of its time,
    // it is shown on time all the same (drawn when taken, it came 3-8 ms late).
    TempDir dir;
    auto all = play_two_clips(dir, timing_clip_fractal(720), "3.4");
    REQUIRE(all[1].frame_times.size() >= 2);
    const double gap = all[1].frame_times.front() - all[0].frame_times.back();
    MESSAGE("last frame of a to the first of the scaled b: ", gap * 1000, " ms");
    CHECK(gap <= 1.0 / 30 + 0.002);
}
