// Frame timing of the real player against the wall clock and the audio clock: run
// alone (RUN_SERIAL), headless, in real time.
#include "PlayerRun.hpp"
#include "Trace.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

using namespace milepost::test;
namespace fs = std::filesystem;

TEST_CASE("two 1080p clips back to back: no gap, and every frame on time") {
    TempDir dir;
    fs::path a = make_media("bars-1080p-2s.mp4",
                            {"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-t", "2",
                             "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"});
    fs::path b = make_media("fractal-1080p-2s.mp4",
                            {"-f", "lavfi", "-i", "mandelbrot=size=1920x1080:rate=30", "-t", "2",
                             "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"});
    fs::create_directories(dir / "c");
    fs::copy_file(a, dir / "c/a.mp4");
    fs::copy_file(b, dir / "c/b.mp4");
    dir.write("c/channel.toml", R"(channel = "t"
[[hotline]]
region = "*"
name = "National Human Trafficking Hotline"
call = "1-888-373-7888"
[[item]]
id = "a"
type = "video"
file = "a.mp4"
[[item]]
id = "b"
type = "video"
file = "b.mp4"
)");
    RunResult r = run_player(
        dir, "", {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", "4.6"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto all = plays(read_trace(dir / "t.ndjson"));
    REQUIRE(all.size() >= 2);
    const Play& first = all[0];
    const Play& second = all[1];
    REQUIRE(first.item == "a");
    REQUIRE(second.item == "b");
    REQUIRE(!first.frame_times.empty());
    REQUIRE(!second.frame_times.empty());
    const double gap = second.frame_times.front() - first.frame_times.back();
    MESSAGE("last frame of a to first frame of b: ", gap * 1000, " ms");
    CHECK(gap <= 0.040);
    // At least 99% of the frames presented, none of them far from their time.
    for (const Play* p : {&first, &second}) {
        CHECK(p->frame_times.size() + p->dropped == 60);
        CHECK(p->frame_times.size() >= 59);
        for (size_t i = 0; i < p->frame_times.size(); ++i) {
            const double late = p->frame_times[i] - p->frame_times.front() - p->frame_pts[i];
            CHECK_MESSAGE(late < 0.050, p->item, " frame ", i, " late by ", late);
        }
    }
}

TEST_CASE("sound plays when asked for and the picture follows it, and silent files play the same") {
    TempDir dir;
    fs::path tone = make_media("tone-2s.mp4",
                               {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi",
                                "-i", "sine=frequency=1000:sample_rate=44100", "-t", "2", "-c:v",
                                "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"});
    fs::path silent =
        make_media("count-1s.mp4", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv420p"}));
    video_channel(dir, {{"tone", tone}, {"silent", silent}});
    // SDL's "disk" driver writes what the speakers would play to a file, in real time.
    const fs::path sound = dir / "sound.raw";
    RunResult r =
        run_player(dir, "[display]\naudio = true\n",
                   {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", "3.4"},
                   "320x180", {"SDL_AUDIODRIVER=disk", "SDL_DISKAUDIOFILE=" + sound.string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(r.err.find("sound: disk, 48000 Hz, 2 channels") != std::string::npos, r.err);
    CHECK(r.err.find("sound aac") != std::string::npos);

    // The tone is heard: about two seconds of loud 16-bit samples.
    std::ifstream in(sound, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    const auto* samples = reinterpret_cast<const int16_t*>(bytes.data());
    const size_t frames = bytes.size() / 4, block = 480; // 10 ms
    size_t loud_blocks = 0;
    for (size_t b = 0; b + block <= frames; b += block) {
        double sum = 0;
        for (size_t i = b * 2; i < (b + block) * 2; ++i)
            sum += static_cast<double>(samples[i]) * samples[i];
        loud_blocks += std::sqrt(sum / (block * 2)) > 1000 ? 1 : 0;
    }
    CHECK_MESSAGE(loud_blocks * 0.01 == doctest::Approx(2.0).epsilon(0.15), loud_blocks,
                  " loud 10 ms blocks");

    auto all = plays(read_trace(dir / "t.ndjson"));
    const Play* with_sound = find_play(all, "tone");
    const Play* without = find_play(all, "silent");
    REQUIRE(with_sound);
    REQUIRE(without);
    CHECK(with_sound->frame_times.size() + with_sound->dropped == 50);
    CHECK(with_sound->dropped <= 3);
    CHECK(without->frame_times.size() + without->dropped == 25);
}
