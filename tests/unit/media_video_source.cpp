// VideoSource's frame queue as a screen's memory needs it: a video waiting its turn
// decodes its first frame only, nothing more once that frame is taken, and decodes
// ahead only when told its first frame is up. Real FFmpeg decoding of a real file.
#include "media/VideoSource.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace milepost;
using namespace std::chrono_literals;

namespace {

// Waits up to 5 s for `frames` queued; returns how many are.
size_t wait_for_frames(VideoSource& source, size_t frames) {
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (source.frames().size() < frames && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(5ms);
    return source.frames().size();
}

// A second of 320x240 H.264 at 25 fps, made once.
std::filesystem::path one_second_clip() {
    return test::make_media("source-queue-1s.mp4",
                            {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "1",
                             "-c:v", "libx264", "-pix_fmt", "yuv420p"});
}

} // namespace

TEST_CASE("a video waiting its turn decodes one frame, none once it is taken, and decodes "
          "ahead once it is up") {
    const auto clip = one_second_clip();
    auto source = VideoSource::start(clip, VideoStart{});
    REQUIRE(wait_for_frames(*source, 1) == 1);
    std::this_thread::sleep_for(300ms); // a 320x240 frame decodes in a millisecond or two
    CHECK(source->frames().size() == 1);

    const auto first = source->take_first_frame();
    REQUIRE(first);
    CHECK(first->pts == doctest::Approx(0));
    std::this_thread::sleep_for(300ms);
    CHECK(source->frames().size() == 0); // held: the last item's pictures may still be up

    source->decode_ahead_task()();
    CHECK(wait_for_frames(*source, 2) == 2);
    std::this_thread::sleep_for(300ms);
    CHECK(source->frames().size() == 2); // VideoPipeline::kQueuedFrames
    CHECK(source->state() == VideoSource::State::Playing);
}

TEST_CASE("decode_ahead_task decodes ahead from another thread, and runs harmlessly once the "
          "video is stopped and its handle gone") {
    const auto clip = one_second_clip();
    auto source = VideoSource::start(clip, VideoStart{});
    REQUIRE(wait_for_frames(*source, 1) == 1);
    REQUIRE(source->take_first_frame());
    std::thread(source->decode_ahead_task()).join();
    CHECK(wait_for_frames(*source, 2) == 2);

    // The item ended: its threads stop and its decoder goes; the task given to the
    // next video's boundary may run after (ItemLoader::dispose), on what it holds.
    auto waiting = VideoSource::start(clip, VideoStart{});
    REQUIRE(wait_for_frames(*waiting, 1) == 1);
    auto task = waiting->decode_ahead_task();
    const auto before = std::chrono::steady_clock::now();
    waiting->stop(2s);
    CHECK(std::chrono::steady_clock::now() - before < 1s); // a 320x240 decoder stops at once
    waiting.reset();
    task(); // AddressSanitizer (the sanitizer pass) fails here on a freed pipeline
    CHECK(source->state() == VideoSource::State::Playing);
}

namespace {

// Two seconds of 320x240 H.264 at 25 fps, one key frame, made once.
std::filesystem::path two_second_clip() {
    return test::make_media("source-join-2s.mp4",
                            {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-g",
                             "100", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
}

// The first frame of `clip` joined at `at` s, due on screen `ago` before now.
std::pair<std::optional<VideoFrame>, long> first_of_join(const std::filesystem::path& clip,
                                                         double at, std::chrono::milliseconds ago) {
    VideoStart how;
    how.start_at = at;
    how.due = std::chrono::steady_clock::now() - ago;
    auto source = VideoSource::start(clip, how);
    REQUIRE(wait_for_frames(*source, 1) == 1);
    auto first = source->take_first_frame();
    return {std::move(first), source->joined_late()};
}

} // namespace

TEST_CASE("a join decoded after its time leaves out its late frames and counts them: the "
          "first shown is a frame period ahead of its time") {
    const auto clip = two_second_clip();
    const auto before = std::chrono::steady_clock::now();
    // Due 0.3 s ago at 0.2 s in: the frames up to about 0.5 s (and what the decoding
    // took) are late.
    const auto [first, late] = first_of_join(clip, 0.2, 300ms);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
    REQUIRE(first);
    MESSAGE("first frame pts ", first->pts, ", ", late, " left out, in ", took * 1000, " ms");
    CHECK(first->pts >= 0.2 + 0.3 + 0.04 - 1e-6);
    CHECK(first->pts <= 0.2 + 0.3 + took + 0.08 + 1e-6);
    CHECK(late == std::lround((first->pts - 0.2) / 0.04)); // every frame from 0.2 s on
}

TEST_CASE("a join late for every frame of its file still shows its last one, and late by "
          "more than a second of the file, it shows what comes then") {
    const auto clip = two_second_clip();
    SUBCASE("the file ends first") {
        const auto [first, late] = first_of_join(clip, 1.6, 5000ms);
        REQUIRE(first);
        CHECK(first->pts == doctest::Approx(1.96));
        CHECK(late == 9); // 1.60 to 1.92
    }
    SUBCASE("VideoStart::kJoinCatchUp") {
        const auto [first, late] = first_of_join(clip, 0.2, 5000ms);
        REQUIRE(first);
        CHECK(first->pts == doctest::Approx(0.2 + VideoStart::kJoinCatchUp));
        CHECK(late == 25);
    }
    SUBCASE("not late: nothing left out") {
        const auto [first, late] = first_of_join(clip, 0.2, -5000ms);
        REQUIRE(first);
        CHECK(first->pts == doctest::Approx(0.2));
        CHECK(late == 0);
    }
}

namespace {

// How many times this process's thread named `name` has waited (its voluntary
// context switches), or -1 when there is none.
long waits_of_thread(const std::string& name) {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string line;
        if (!std::getline(comm, line) || line != name)
            continue;
        std::ifstream status(task.path() / "status");
        while (std::getline(status, line))
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
                return std::stol(line.substr(line.find(':') + 1));
    }
    return -1;
}

} // namespace

TEST_CASE("the demux thread refills the packet queue in batches, not woken for every "
          "packet the decoder takes") {
    // 300 packets, against the 64 read ahead: 236 taken from a full queue.
    const auto clip = test::make_media("source-demux-12s.mp4",
                                       {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t",
                                        "12", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    auto source = VideoSource::start(clip, VideoStart{});
    REQUIRE(wait_for_frames(*source, 1) == 1);
    REQUIRE(source->take_first_frame());
    source->decode_ahead_task()();
    long waits = -1;
    int frames = 1;
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (source->state() != VideoSource::State::Ended &&
           std::chrono::steady_clock::now() < give_up) {
        if (const long now = waits_of_thread("video-demux"); now >= 0)
            waits = now; // the last count before the thread ends with the file
        frames += source->frames().try_pop() ? 1 : 0;
        std::this_thread::sleep_for(2ms);
    }
    while (source->frames().try_pop())
        ++frames;
    MESSAGE("the demux thread waited ", waits, " times for ", frames, " frames");
    CHECK(frames == 300);
    REQUIRE(waits >= 0);
    // Woken for every packet taken, it waited about 450 times here; refilling a
    // quarter of 64 at a time (and 2 of 8 before the first frame is up), about 30.
    CHECK(waits < 150);
}
