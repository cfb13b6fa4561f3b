// Videos as real encoders and phones write them, and broken ones, played by the
// real player headless; checked through the trace, snapshots and pixels.
#include "PlayerRun.hpp"
#include "TimingClips.hpp"
#include "Trace.hpp"
#include "render/Painter.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <memory>
#include <pthread.h>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace milepost;
using namespace milepost::test;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTestSource{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
                                           "-t", "1"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// A channel of video items, one per file, in `dir`/c/channel.toml.
fs::path video_channel(const TempDir& dir,
                       const std::vector<std::pair<std::string, fs::path>>& items,
                       const std::string& extra = "") {
    std::string toml = channel_header("videos") +
                       us_hotline_toml("url = \"https://humantraffickinghotline.org\"\n");
    fs::create_directories(dir / "c");
    for (const auto& [id, file] : items) {
        fs::path local = dir / "c" / file.filename();
        if (!fs::exists(local) && fs::exists(file))
            fs::copy_file(file, local);
        toml += file_item(id, "video", file.filename().string()) + extra;
    }
    return dir.write("c/channel.toml", toml);
}

const Play* find_play(const std::vector<Play>& all, const std::string& id) {
    for (const Play& p : all)
        if (p.item == id)
            return &p;
    return nullptr;
}

// good.mp4 and good-again.mp4 in `dir`/c: the 2-second videos (50 frames) played
// before and after broken files. Returns the made file.
fs::path make_good_pair(const TempDir& dir) {
    fs::path good =
        make_media("good-2s.mp4", {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
                                   "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    fs::create_directories(dir / "c");
    fs::copy_file(good, dir / "c/good.mp4");
    fs::copy_file(good, dir / "c/good-again.mp4");
    return good;
}

// Each of `ids` failed, within a second of the end of `first`, the play before them.
void check_skipped_within_a_second(std::map<std::string, std::vector<double>>& errors,
                                   const Play& first, const std::vector<std::string>& ids,
                                   const std::string& log) {
    for (const std::string& id : ids) {
        CAPTURE(id);
        REQUIRE_MESSAGE(errors.count(id), log);
        CHECK(errors[id].front() - first.end < 1.0);
    }
}

// Sets `duration` on the items of `files` in `dir`/c/channel.toml: their lengths
// cannot be read (broken files, a FIFO, which is never probed).
void set_durations(const TempDir& dir, const std::vector<std::string>& files, int seconds) {
    std::string toml = read_file(dir / "c/channel.toml");
    for (const std::string& file : files) {
        const std::string line = "file = \"" + file + "\"\n";
        toml.insert(toml.find(line) + line.size(), "duration = " + std::to_string(seconds) + "\n");
    }
    dir.write("c/channel.toml", toml);
}

// `dir`/c/channel.toml played for `seconds` with a trace (t.ndjson): every play, and
// the errors by item.
struct Played {
    RunResult run;
    std::vector<Play> all;
    std::map<std::string, std::vector<double>> errors;
};
Played play_channel(const TempDir& dir, const std::string& seconds) {
    Played p;
    p.run = run_player(
        dir, "", {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", seconds},
        "640x360");
    REQUIRE_MESSAGE(p.run.exit_code == 0, p.run.err);
    p.all = plays(read_trace(dir / "t.ndjson"), &p.errors);
    return p;
}

// `bytes` as the file at `path`, held up the first time it is read (as a tired SD
// card holds a read up): that time through a FIFO, its first third at once and the
// rest once `go_on()` says so; from then on a regular file, put in the FIFO's place.
class HeldUpFile {
public:
    HeldUpFile(fs::path path, std::string bytes, std::function<bool()> go_on)
        : m_path(std::move(path)), m_bytes(std::move(bytes)), m_go_on(std::move(go_on)) {
        std::ofstream(m_path.string() + ".later", std::ios::binary) << m_bytes;
        REQUIRE(mkfifo(m_path.c_str(), 0600) == 0);
        m_thread = std::thread([this] { serve(); });
    }
    ~HeldUpFile() {
        m_stop = true;
        // A writer waiting for a reader is let go by one that reads nothing.
        const int fd = open(m_path.c_str(), O_RDONLY | O_NONBLOCK);
        m_thread.join();
        if (fd >= 0)
            close(fd);
    }

private:
    void serve() {
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE); // the reader gone: EPIPE, not the test's death
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        const int fd = open(m_path.c_str(), O_WRONLY);
        if (fd < 0)
            return;
        const size_t third = m_bytes.size() / 3;
        if (!m_stop && write_all(fd, 0, third)) {
            while (!m_go_on() && !m_stop)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            // Opened again from now on, it is read at once.
            std::error_code ec;
            fs::rename(m_path.string() + ".later", m_path, ec);
            write_all(fd, third, m_bytes.size());
        }
        close(fd);
    }
    bool write_all(int fd, size_t from, size_t to) {
        while (from < to) {
            const ssize_t n = write(fd, m_bytes.data() + from, to - from);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            from += static_cast<size_t>(n);
        }
        return true;
    }

    fs::path m_path;
    std::string m_bytes;
    std::function<bool()> m_go_on;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

// Whether a line of the trace at `trace` has each of `parts`; read as text, the
// player may be halfway through a line.
bool trace_has(const fs::path& trace, const std::vector<std::string>& parts) {
    std::ifstream in(trace);
    for (std::string line; std::getline(in, line);)
        if (std::all_of(parts.begin(), parts.end(), [&](const std::string& part) {
                return line.find(part) != std::string::npos;
            }))
            return true;
    return false;
}

// A 3-second 320x240 video at 25 fps (75 frames).
fs::path count_3s() {
    return make_media("count-3s.mp4", {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t",
                                       "3", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
}

// `dir`/c/channel.toml played in the background from the cycle's start for
// `seconds`, traced to `dir`/t.ndjson; returned once its first frame is up.
std::unique_ptr<Child> play_in_background(const TempDir& dir, const std::string& seconds) {
    const fs::path config = dir.write("device.toml", "[display]\nboot_info_seconds = 0\n");
    const fs::path trace = dir / "t.ndjson";
    auto player = std::make_unique<Child>(
        std::vector<std::string>{MILEPOST_PLAYER, "--config", config.string(), "--data-dir",
                                 (dir / "data").string(), "--headless", "640x360", "--content",
                                 "c/channel.toml", "--trace", trace.string(), "--exit-after",
                                 seconds, "--clock-start", cycle_start_clock()},
        dir.path());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!trace_has(trace, {"\"event\":\"frame\""})) {
        REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "no first frame in 10 s");
        REQUIRE(!player->ended());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return player;
}

// A thread of a running process, as /proc and sched_getattr(2) show it.
struct ThreadSeen {
    int tid = 0;
    std::string name;
    int nice = 0;
    std::uint64_t slice_ns = 0; // 0 where the kernel has no slices of its own (before 6.12)
};
std::vector<ThreadSeen> threads_of(int pid) {
    std::vector<ThreadSeen> seen;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
        ThreadSeen t;
        t.tid = std::stoi(task.path().filename().string());
        t.name = read_file(task.path() / "comm");
        if (!t.name.empty() && t.name.back() == '\n')
            t.name.pop_back();
        // stat: "tid (name) state ppid ..."; the nice value is field 19, the 17th after
        // the name.
        const std::string stat = read_file(task.path() / "stat");
        std::istringstream fields(stat.substr(stat.rfind(')') + 2));
        std::string field;
        for (int i = 0; i < 17; ++i)
            fields >> field;
        t.nice = std::stoi(field);
        t.slice_ns = slice_ns(t.tid);
        seen.push_back(t);
    }
    return seen;
}

} // namespace

TEST_CASE("every codec and container plays in full") {
    const std::vector<std::pair<std::string, std::vector<std::string>>> clips = {
        {"h264-bframes.mp4",
         with(kTestSource, {"-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p"})},
        {"h264.mov", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv420p"})},
        {"h264.ts", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts"})},
        {"h264-fragmented.mp4", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv420p",
                                                   "-movflags", "frag_keyframe+empty_moov"})},
        {"h264-vfr.mkv",
         {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "1", "-vf",
          "select='not(mod(n\\,3))+eq(mod(n\\,7)\\,1)'", "-vsync", "vfr", "-c:v", "libx264",
          "-pix_fmt", "yuv420p"}},
        {"h264-yuv422p.mkv", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv422p"})},
        {"h264-yuv444p.mp4", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv444p"})},
        {"hevc.mkv", with(kTestSource, {"-c:v", "libx265", "-x265-params", "log-level=error",
                                        "-pix_fmt", "yuv420p"})},
        {"hevc-10bit.mp4", with(kTestSource, {"-c:v", "libx265", "-x265-params", "log-level=error",
                                              "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1"})},
        {"vp9.webm",
         with(kTestSource, {"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"})},
        {"av1.mkv", with(kTestSource, {"-c:v", "libaom-av1", "-cpu-used", "8", "-row-mt", "1"})},
        {"mpeg4-part2.avi", with(kTestSource, {"-c:v", "mpeg4"})},
        {"h263.3gp",
         {"-f", "lavfi", "-i", "testsrc2=size=176x144:rate=25", "-t", "1", "-c:v", "h263"}},
    };
    TempDir dir;
    std::vector<std::pair<std::string, fs::path>> items;
    std::map<std::string, int> expected;
    for (const auto& [name, args] : clips) {
        fs::path file = make_media(name, args);
        std::string id =
            fs::path(name).stem().string() + "-" + fs::path(name).extension().string().substr(1);
        items.push_back({id, file});
        expected[id] = count_frames(file);
    }
    video_channel(dir, items);
    RunResult r = run_player(
        dir, "", {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", "15.5"},
        "640x360");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::map<std::string, std::vector<double>> errors;
    auto all = plays(read_trace(dir / "t.ndjson"), &errors);
    CHECK_MESSAGE(errors.empty(), r.err);
    for (const auto& expected_play : expected) {
        const std::string& id = expected_play.first;
        const auto& frames = expected_play.second;
        const Play* p = find_play(all, id);
        REQUIRE_MESSAGE(p, id, " did not play: ", r.err);
        CAPTURE(id);
        CHECK(p->end > p->start);
        // Every frame of the file was either shown or, if late, dropped; nearly all shown.
        CHECK(static_cast<long>(p->frame_times.size()) + p->dropped == frames);
        CHECK(p->dropped <= 2);
        for (size_t i = 1; i < p->frame_pts.size(); ++i)
            CHECK(p->frame_pts[i] > p->frame_pts[i - 1]);
    }
    // The formats the texture takes as they are, and those converted first; SDL's
    // software renderer has 4:2:0 converted and scaled straight onto its screen.
    const char* renderer = std::getenv("MILEPOST_TEST_RENDERER");
    const bool gles2 = renderer && std::string(renderer) == "gles2";
    CHECK(r.err.find(gles2 ? "yuv420p -> IYUV" : "yuv420p -> scaled straight onto the screen") !=
          std::string::npos);
    CHECK(r.err.find("yuv420p10le -> swscale -> IYUV") != std::string::npos);
    CHECK(r.err.find("yuv422p -> swscale -> IYUV") != std::string::npos);
}

TEST_CASE("broken files are skipped within a second each and the good ones still play") {
    TempDir dir;
    const fs::path good = make_good_pair(dir);
    std::ofstream(dir / "c/zero.mp4").close();
    std::ofstream(dir / "c/text.mp4") << "This is not a video, only text with a video's name.\n";
    {
        // Half a file whose index (moov) is at its end: truncated, index missing.
        std::ifstream in(good, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(dir / "c/truncated.mp4", std::ios::binary)
            << bytes.substr(0, bytes.size() / 2);
        // Garbage in the middle of a stream: the decoder errs, then recovers.
        fs::path ts = make_media("good-2s.ts", {"-i", good.string(), "-c", "copy", "-f", "mpegts"});
        std::ifstream tin(ts, std::ios::binary);
        std::string ts_bytes((std::istreambuf_iterator<char>(tin)), {});
        for (size_t i = ts_bytes.size() / 3; i < ts_bytes.size() / 3 + 4000; ++i)
            ts_bytes[i] = static_cast<char>(i * 7919 % 251);
        std::ofstream(dir / "c/corrupt.ts", std::ios::binary) << ts_bytes;
    }
    // A file that never delivers a byte: a FIFO nobody writes to.
    REQUIRE(mkfifo((dir / "c/stalled.mp4").c_str(), 0600) == 0);
    video_channel(dir, {{"good", dir / "c/good.mp4"},
                        {"zero", dir / "c/zero.mp4"},
                        {"text", dir / "c/text.mp4"},
                        {"truncated", dir / "c/truncated.mp4"},
                        {"stalled", dir / "c/stalled.mp4"},
                        {"corrupt", dir / "c/corrupt.ts"},
                        {"good-again", dir / "c/good-again.mp4"}});
    // The broken ones planned as a second each (their lengths cannot be read): the
    // plan is good 0-2 s, the four 2-6 s, corrupt 6-8 s, good-again 8-10 s.
    set_durations(dir, {"zero.mp4", "text.mp4", "truncated.mp4", "stalled.mp4"}, 1);
    // good-again ends about 10.1 s after start: 11 s leaves a loaded machine's slow
    // start most of a second.
    Played played = play_channel(dir, "11");
    const RunResult& r = played.run;
    const std::vector<Play>& all = played.all;
    auto& errors = played.errors;
    const Play* first = find_play(all, "good");
    const Play* again = find_play(all, "good-again");
    REQUIRE(first);
    REQUIRE(again);
    // Each is given up within a second of its turn (the stalled one's turn comes
    // after the three before it, which fail at once).
    check_skipped_within_a_second(errors, *first, {"zero", "text", "truncated", "stalled"}, r.err);
    for (const char* id : {"zero", "text", "truncated", "stalled"})
        CHECK_MESSAGE(r.err.find("item \"" + std::string(id) + "\"") != std::string::npos, id);
    CHECK(errors["stalled"].front() - errors["truncated"].front() < 1.0);
    // The good files play in full, 50 frames each (a turn joined part way, the rest
    // from its time).
    CHECK(first->frame_times.size() + first->dropped == 50);
    int checked = 0;
    for (const Play& p : all) {
        if ((p.item != "good" && p.item != "good-again") ||
            p.end_detail.find("stopped") != std::string::npos)
            continue;
        CAPTURE(p.item);
        CAPTURE(p.start_detail);
        const long skipped = static_cast<long>(p.joined_seconds() * 25 + 1e-6);
        CHECK(std::labs(static_cast<long>(p.frame_times.size()) + p.dropped - (50 - skipped)) <= 1);
        ++checked;
    }
    CHECK(checked >= 2);
    // The corrupt stream, next in the plan, plays what it can within a second of the
    // last failure, ahead of the plan; then the hotline until the plan is back with
    // the screen: good-again at its time in the plan, in step with other screens.
    const Play* corrupt = find_play(all, "corrupt");
    REQUIRE(corrupt);
    CHECK(corrupt->start - errors["stalled"].front() < 1.0);
    CHECK(corrupt->end < again->start - 2.0);
    // Within 0.1 s; under the sanitizers (a starved run's late first frame), 0.5 s.
    const double in_step = in_other_tree() ? 0.5 : 0.1;
    CHECK(std::abs(again->start - first->start - 8.0) < in_step);
    CHECK(again->joined_seconds() == 0);
    CHECK(r.err.find("zero.mp4: cannot open") != std::string::npos);
}

TEST_CASE("a video held up once (no picture for 0.75 s) is skipped and plays at its next turn") {
    // A good file whose reads stand still for a while the first time (a tired SD
    // card): skipped as a broken one is, but not left out for the hour.
    TempDir dir;
    make_good_pair(dir);
    // 4 s: a third of it is more than FFmpeg reads to open it.
    const fs::path ts =
        make_media("count-4s.ts", {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4",
                                   "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts"});
    const fs::path trace = dir / "t.ndjson";
    HeldUpFile held(dir / "c/held.ts", read_file(ts), [&] {
        return trace_has(trace, {"\"event\":\"error\"", "\"held\""});
    });
    video_channel(dir, {{"good", dir / "c/good.mp4"},
                        {"held", dir / "c/held.ts"},
                        {"good-again", dir / "c/good-again.mp4"}});
    set_durations(dir, {"held.ts"}, 4);
    // The plan: good 0-2 s, held 2-6 s, good-again 6-8 s, and again from 8 s.
    Played played = play_channel(dir, "14.6");
    const RunResult& r = played.run;
    const std::vector<Play>& all = played.all;
    auto& errors = played.errors;
    const Play* first = find_play(all, "good");
    REQUIRE(first);
    CAPTURE(r.err);
    // Held up in its first turn: given up 0.75 s after its last picture, the plan's
    // next item at once.
    REQUIRE(errors["held"].size() == 1);
    CHECK(r.err.find("no picture for 0.75 s: the file or its decoder stalled; skipped, and tried "
                     "again at its next turn") != std::string::npos);
    CHECK(r.err.find("skipped, and left out of the plan for an hour") == std::string::npos);
    std::vector<const Play*> held_plays, again_plays;
    for (const Play& p : all) {
        if (p.item == "held")
            held_plays.push_back(&p);
        if (p.item == "good-again")
            again_plays.push_back(&p);
    }
    REQUIRE(held_plays.size() == 2);
    REQUIRE(!again_plays.empty());
    const Play& cut = *held_plays[0];
    REQUIRE(!cut.frame_times.empty()); // held up part way
    CHECK(cut.frame_times.size() < 75);
    CHECK(errors["held"].front() - cut.frame_times.back() > 0.7);
    CHECK(errors["held"].front() - cut.frame_times.back() < 1.0);
    CHECK(again_plays.front()->start - errors["held"].front() < 1.0);
    // Its next turn, 8 s on in the plan: whole, from its start, in step with the plan.
    const Play& next = *held_plays[1];
    CHECK(next.joined_seconds() == 0);
    CHECK(std::abs(next.start - first->start - 10.0) < (in_other_tree() ? 0.5 : 0.1));
    CHECK(next.frame_times.size() + next.dropped == 100);
}

TEST_CASE("a video held up again within the hour is left out of the plan for the hour") {
    // A FIFO nobody writes to: no picture, ever.
    TempDir dir;
    make_good_pair(dir);
    REQUIRE(mkfifo((dir / "c/stuck.mp4").c_str(), 0600) == 0);
    video_channel(dir, {{"good", dir / "c/good.mp4"}, {"stuck", dir / "c/stuck.mp4"}});
    set_durations(dir, {"stuck.mp4"}, 2);
    // The plan: good 0-2 s, stuck 2-4 s, and again every 4 s.
    Played played = play_channel(dir, "11.5");
    const RunResult& r = played.run;
    const std::vector<Play>& all = played.all;
    auto& errors = played.errors;
    CAPTURE(r.err);
    // Tried in its first two turns (2 s and 6 s), not in its third (10 s).
    REQUIRE(errors["stuck"].size() == 2);
    CHECK(errors["stuck"][1] - errors["stuck"][0] == doctest::Approx(4.0).epsilon(0.1));
    CHECK(r.err.find("stalled; skipped, and tried again at its next turn") != std::string::npos);
    CHECK(r.err.find("stalled, the second time within the hour; skipped, and left out of the plan "
                     "for an hour") != std::string::npos);
    long stuck_plays = 0;
    for (const Play& p : all)
        stuck_plays += p.item == "stuck";
    CHECK(stuck_plays == 2);
}

TEST_CASE("a snapshot shows the video frame with the hotline banner over it") {
    TempDir dir;
    fs::path red =
        make_media("red-1080p-4s.mp4", {"-f", "lavfi", "-i", "color=c=0xdc1414:s=1920x1080:r=25",
                                        "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    video_channel(dir, {{"red", red}});
    // Two seconds in: under the sanitizers on a loaded machine, start-up and the first
    // 1080p frame take most of a second.
    RunResult r = run_player(
        dir, "", {"--content", "c/channel.toml", "--snapshot", "2:a.png", "--exit-after", "2.3"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    Picture shot = load_picture(dir / "a.png");
    CHECK(shot.fraction_near({220, 20, 20, 255}, 0, 0, 1920, 700, 30) > 0.95);
    CHECK(shot.fraction_near(palette::kBanner, 0, 1060, 1920, 20) > 0.5);
    // The banner, read on its own: tesseract's thresholding loses text next to a large red area.
    shot.crop(0, 880, 1920, 200).save(dir / "banner.png");
    const std::string text = ocr(dir / "banner.png");
    CHECK_MESSAGE(squeeze(text).find("1-888-373-7888") != std::string::npos, text);
}

// On a screen the software renderer draws, a frame that fills it is converted
// straight onto it, and the banner over it stays on the screen from frame to frame:
// the rows under it are not converted, nor the banner copied, again. A row of the
// video not drawn again would keep an older frame's colour; a banner not drawn
// again after a layer covered it would be gone. A small screen: decoding is not
// what is tested. (Not in the gles2 pass: OpenGL draws every frame whole.)
TEST_CASE("a video frame is drawn up to the banner, which stays whole frame after frame and "
          "comes back after the hotline screen covered it") {
    // One colour a frame, a new one every frame.
    const fs::path clip = make_media(
        "hue-270p-3s.mp4", {"-f", "lavfi", "-i", "color=c=0x3070c0:s=480x270:r=25", "-vf",
                            "hue=H=2*PI*t/3", "-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    auto row = [](const Picture& p, int y) {
        const auto* at = p.rgb.data() + static_cast<size_t>(y) * p.width * 3;
        return std::vector<unsigned char>(at, at + static_cast<size_t>(p.width) * 3);
    };
    // The banner's rows: those the two pictures share, from the banner's edge of
    // the screen.
    auto banner_rows = [&](const Picture& a, const Picture& b, bool top) {
        int n = 0;
        while (n < a.height &&
               row(a, top ? n : a.height - 1 - n) == row(b, top ? n : b.height - 1 - n))
            ++n;
        return n;
    };
    for (const bool top : {false, true}) {
        CAPTURE(top);
        TempDir dir;
        video_channel(dir, {{"hue", clip}});
        // Top: a hotline without a QR code.
        if (top)
            dir.write("c/channel.toml", channel_header("videos") + us_hotline_toml("") +
                                            file_item("hue", "video", clip.filename().string()));
        // Bottom: a tap at 2.2 s shows the hotline screen for 20 s, over everything.
        std::vector<std::string> args{"--content",  "c/channel.toml", "--hwdec",      "none",
                                      "--snapshot", "1.2:a.png",      "--snapshot",   "2:b.png",
                                      "--snapshot", "23:c.png",       "--exit-after", "23.3"};
        std::vector<std::string> env{"MILEPOST_TEST_EVENTS=2.2:down:240,100 2.3:up:240,100"};
        if (top) {
            args.resize(8);
            args.insert(args.end(), {"--exit-after", "2.3"});
            env.clear();
        }
        RunResult r =
            run_player(dir, top ? "[display]\nbanner = \"top\"\n" : "", args, "480x270", env);
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        const Picture a = load_picture(dir / "a.png"), b = load_picture(dir / "b.png");
        const int banner = banner_rows(a, b, top);
        // Laid out for 270 rows: 53 high with the QR code, 41 without. Odd both:
        // the video's row next to the banner shares its chroma with the banner's
        // (converted aside, the one row copied).
        CHECK(banner == (top ? 41 : 53));
        const int edge = top ? banner : a.height - 1 - banner; // the video's row next to it
        const int far = top ? a.height - 1 : 0;
        for (const Picture* p : {&a, &b}) {
            CHECK(p->fraction_near(palette::kBanner, 0, top ? 0 : a.height - 8, a.width, 8) > 0.5);
            // The video's rows are one colour, the frame's, up to the banner.
            CHECK(row(*p, edge) == row(*p, far));
            CHECK(row(*p, edge) == row(*p, a.height / 2));
        }
        CHECK(row(a, edge) != row(b, edge)); // another frame: another colour
        if (top)
            continue;
        // 20 s after the tap, the video again, the banner whole over it.
        const Picture c = load_picture(dir / "c.png");
        CHECK(banner_rows(a, c, false) >= banner);
        CHECK(row(c, edge) == row(c, far));
        CHECK(c.fraction_near(palette::kBanner, 0, 0, c.width, 20) < 0.1); // not the hotline screen
    }
}

// The software renderer's shortcut converts a frame straight onto the screen
// (swscale, from the decoder's buffers; scaled on the way when it is not the
// screen's size), SDL's texture path otherwise: either way full range and BT.601
// are kept.
TEST_CASE("a full-range and a BT.601 video keep their colours on a screen they fill, scaled or "
          "not") {
    const std::vector<std::string> blue{"-f", "lavfi", "-i",   "color=c=0x3070c0:s=1920x1080:r=25",
                                        "-t", "3",     "-c:v", "libx264"};
    auto with = [&](std::vector<std::string> more) {
        std::vector<std::string> args = blue;
        args.insert(args.end(), more.begin(), more.end());
        return args;
    };
    const fs::path full = make_media("blue-1080p-full-range.mp4", with({"-pix_fmt", "yuvj420p"}));
    const fs::path sd = make_media("blue-1080p-bt601.mp4",
                                   with({"-pix_fmt", "yuv420p", "-colorspace", "bt470bg",
                                         "-color_primaries", "bt470bg", "-color_trc", "gamma28"}));
    // 720p scaled up to fill it: converted and scaled in one step, the range kept.
    std::vector<std::string> small = with({"-pix_fmt", "yuvj420p"});
    small[3] = "color=c=0x3070c0:s=1280x720:r=25";
    const fs::path scaled = make_media("blue-720p-full-range.mp4", small);
    for (const fs::path& clip : {full, sd, scaled}) {
        CAPTURE(clip);
        TempDir dir;
        video_channel(dir, {{"blue", clip}});
        RunResult r = run_player(dir, "",
                                 {"--content", "c/channel.toml", "--hwdec", "none", "--snapshot",
                                  "1.5:a.png", "--exit-after", "1.8"});
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        // Under SDL's OpenGL ES 2 renderer (the gles2 pass), through a texture.
        const char* renderer = std::getenv("MILEPOST_TEST_RENDERER");
        const bool gles2 = renderer && std::string(renderer) == "gles2";
        const std::string direct = clip == scaled ? "420p -> scaled straight onto the screen"
                                                  : "420p -> straight onto the screen";
        CHECK(r.err.find(gles2 ? "420p -> IYUV" : direct) != std::string::npos);
        Picture shot = load_picture(dir / "a.png");
        // Read in the wrong range or matrix, this blue is off by 6 to 11 levels
        // (ffmpeg: 37,111,202 as limited range; 41,110,197 as BT.709).
        CHECK(shot.fraction_near({48, 112, 192, 255}, 0, 0, 1920, 700, 4) > 0.99);
    }
}

TEST_CASE("phone rotation metadata and non-square pixels are honoured") {
    TempDir dir;
    // Left half red, right half blue, stored with a display matrix, as phones do.
    // Three seconds each, snapshots a second into each: a player slow to start
    // (the sanitizers, a loaded machine) still has the video on screen then.
    fs::path flat = make_media("halves-3s.mp4",
                               {"-f", "lavfi", "-i", "color=c=red:s=160x240:r=25", "-f", "lavfi",
                                "-i", "color=c=blue:s=160x240:r=25", "-filter_complex", "hstack",
                                "-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    fs::path turned = make_media("halves-3s-rotate-90.mp4", {"-i", flat.string(), "-c", "copy",
                                                             "-metadata:s:v:0", "rotate=90"});
    // FFmpeg's own idea of upright (its CLI turns frames by the matrix) is the reference.
    const fs::path reference = dir / "reference.png";
    REQUIRE(run({"ffmpeg", "-loglevel", "error", "-i", turned.string(), "-frames:v", "1",
                 reference.string()})
                .exit_code == 0);
    Picture upright = load_picture(reference);
    REQUIRE(upright.width == 240);
    REQUIRE(upright.height == 320);
    const SDL_Color top = upright.at(120, 40), bottom = upright.at(120, 280);
    fs::path wide =
        make_media("sar-2-3s.mp4", {"-f", "lavfi", "-i", "color=c=green:s=320x240:r=25", "-t", "3",
                                    "-vf", "setsar=2", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    video_channel(dir, {{"turned", turned}, {"wide", wide}});
    RunResult r = run_player(dir, "",
                             {"--content", "c/channel.toml", "--snapshot", "1:turned.png",
                              "--snapshot", "4.5:wide.png", "--exit-after", "4.7"},
                             "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("turned ") != std::string::npos);
    Picture t = load_picture(dir / "turned.png");
    // Upright it is 240 wide and 320 tall, so 540x720 here, pillarboxed, halves as FFmpeg has them.
    CHECK(t.fraction_near(top, 600, 100, 80, 100, 40) > 0.9);
    CHECK(t.fraction_near(bottom, 600, 400, 80, 100, 40) > 0.9);
    CHECK(top.r != bottom.r);
    CHECK(t.fraction_near({0, 0, 0, 255}, 0, 0, 300, 500) > 0.95);
    Picture w = load_picture(dir / "wide.png");
    // 320x240 with pixels twice as wide as tall: 8:3, so 1280x480 with bars above and below.
    CHECK(w.fraction_near({0, 0, 0, 255}, 0, 0, 1280, 110) > 0.95);
    CHECK(w.fraction_near({0, 128, 0, 255}, 0, 130, 1280, 300, 40) > 0.95);
    // Scaled straight onto the screen by the software renderer, its bars and frame are
    // drawn every frame, and the hotline banner over them every frame too.
    CHECK(w.fraction_near(palette::kBanner, 0, 705, 1280, 10) > 0.5);
}

TEST_CASE("at start-up the first picture is a video's first frame, not an empty screen") {
    // Started with a video first, the player once presented at once: the banner over
    // the black of an empty video area, for the tenth of a second or more before
    // the first frame was decoded, at every start (on a Pi, after the splash).
    TempDir dir;
    // Green with grain on its brightness: the PNG of the first picture (below) takes a
    // while to write.
    fs::path green =
        make_media("green-grain-720p-3s.mp4",
                   {"-f", "lavfi", "-i", "color=c=green:s=1280x720:r=25", "-t", "3", "-vf",
                    "noise=c0s=16:c0f=t", "-c:v", "libx264", "-pix_fmt", "yuv420p"});
    video_channel(dir, {{"green", green}});
    const fs::path first = dir / "first.png";
    RunResult r = run_player(
        dir, "", {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", "3"},
        "1280x720", {"MILEPOST_TEST_FIRST_PICTURE=" + first.string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    Picture p = load_picture(first);
    REQUIRE(p.width == 1280);
    CHECK(p.fraction_near({0, 128, 0, 255}, 0, 0, 1280, 500, 40) > 0.95);
    CHECK(p.fraction_near(palette::kBanner, 0, 705, 1280, 10) > 0.5); // and the banner
    // That first present took a while (the PNG written with it; a window's first
    // present does too): the clock, waiting for the first frame, runs from when it was
    // on screen, so the frames after it are not late for it: the second is shown, a
    // frame period after the first.
    auto all = plays(read_trace(dir / "t.ndjson"));
    REQUIRE(!all.empty());
    const Play& play = all.front();
    REQUIRE(play.item == "green");
    REQUIRE(play.frame_pts.size() >= 2);
    CHECK(play.frame_pts[0] == doctest::Approx(0.0));
    CHECK(play.frame_pts[1] == doctest::Approx(0.04));
    CHECK(play.frame_times[1] - play.frame_times[0] > 0.03);
}

TEST_CASE("duration loops a short video and cuts a long one") {
    TempDir dir;
    fs::path one =
        make_media("count-1s.mp4", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv420p"}));
    fs::path three = count_3s();
    fs::create_directories(dir / "c");
    fs::copy_file(one, dir / "c/one.mp4");
    fs::copy_file(three, dir / "c/three.mp4");
    dir.write("c/channel.toml", channel_toml("d", R"([[item]]
id = "looped"
type = "video"
file = "one.mp4"
duration = 2.5
[[item]]
id = "cut"
type = "video"
file = "three.mp4"
duration = 1
)"));
    RunResult r = run_player(
        dir, "", {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", "4.6"},
        "640x360");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto all = plays(read_trace(dir / "t.ndjson"));
    const Play* looped = find_play(all, "looped");
    const Play* cut = find_play(all, "cut");
    REQUIRE(looped);
    REQUIRE(cut);
    // From its first frame: the first video after start-up waits for it (a slow open
    // under the sanitizers on a loaded machine takes a fifth of a second).
    REQUIRE(!looped->frame_times.empty());
    CHECK(looped->end - looped->frame_times.front() == doctest::Approx(2.5).epsilon(0.05));
    CHECK(looped->frame_times.size() + looped->dropped >= 60);
    CHECK(looped->frame_pts.back() > 2.3); // the clock kept running through the loop
    // 4.6 s leaves the cut item time to end on its own after a slow start (at 3.8 s
    // the player's exit once cut it short, at 0.77 s).
    CHECK(cut->end - cut->start == doctest::Approx(1.0).epsilon(0.1));
    CHECK(cut->frame_times.size() + cut->dropped <= 27);
}

TEST_CASE("a player held up past a video's end counts the frames it never showed as dropped") {
    // A Pi that stalls (a slow SD card, memory pressure) longer than the 0.9 s a video
    // may run over: its last frames are never decoded in time. Every frame due must
    // still be shown or counted, or the proof of play hides the loss.
    TempDir dir;
    fs::path three = count_3s();
    const int frames = count_frames(three);
    REQUIRE(frames == 75);
    video_channel(dir, {{"held", three}, {"after", three}});
    const fs::path trace = dir / "t.ndjson";
    std::unique_ptr<Child> started = play_in_background(dir, "9");
    Child& player = *started;
    // Held up half a second after its first frame, for longer than the 2.5 s left of it
    // and the 0.9 s it may run over.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    player.kill(SIGSTOP);
    std::this_thread::sleep_for(std::chrono::milliseconds(4000));
    player.kill(SIGCONT);
    RunResult r = player.wait();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto all = plays(read_trace(trace));
    REQUIRE(all.size() >= 2);
    const Play& held = all.front();
    REQUIRE(held.item == "held");
    CAPTURE(r.err);
    CHECK(held.end_detail.find("stopped") == std::string::npos);
    // About 2.5 s of its frames were due while it stood still: counted, not lost.
    CHECK(static_cast<long>(held.frame_times.size()) + held.dropped == frames);
    CHECK(held.dropped >= 40);
    CHECK(held.frame_times.size() >= 5);
    // The next item went on at the plan's time, joined part way, its frames all counted.
    const Play& after = all[1];
    CHECK(after.item == "after");
    CHECK(after.start - held.end < 0.1);
}

TEST_CASE("the player's decoding and loading threads give way to its render loop") {
    // Two 1080p players on two cores, each decoder as urgent as its render loop: a
    // frame went up a scheduler slice late (3-4 ms) some 60 times a minute, an
    // item's first frame too. Now its render loop has the short slice and the rest,
    // named for `top -H`, run 5 nice steps below it.
    TempDir dir;
    fs::path three = count_3s();
    video_channel(dir, {{"first", three}, {"next", three}});
    std::unique_ptr<Child> started = play_in_background(dir, "3");
    Child& player = *started;
    // A second after the first frame: the video on screen and the next one prepared.
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const std::vector<ThreadSeen> threads = threads_of(player.pid());
    RunResult r = player.wait();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);

    const auto render = std::find_if(threads.begin(), threads.end(),
                                     [&](const ThreadSeen& t) { return t.tid == player.pid(); });
    REQUIRE(render != threads.end());
    const int below = std::min(render->nice + 5, 19); // the sanitizer pass runs at 19
    std::map<std::string, int> named;
    for (const ThreadSeen& t : threads) {
        CAPTURE(t.name);
        if (t.name != "video-demux" && t.name != "video-decode" && t.name != "play-recorder")
            continue;
        ++named[t.name];
        CHECK(t.nice == below);
        // Where the kernel keeps a slice for each thread, the render loop's is the
        // shortest it grants, and the others have its default.
        if (t.slice_ns != 0) {
            CHECK(render->slice_ns == 100'000);
            CHECK(t.slice_ns > render->slice_ns);
        }
    }
    // The video on screen and the next one: a demuxer and a decoder each.
    CHECK(named["video-demux"] == 2);
    CHECK(named["video-decode"] == 2);
    CHECK(named["play-recorder"] == 1);
}

TEST_CASE("--hwdec falls back to software decoding and says why") {
    TempDir dir;
    fs::path clip =
        make_media("count-1s.mp4", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv420p"}));
    video_channel(dir, {{"clip", clip}});
    RunResult vaapi = run_player(dir, "",
                                 {"--content", "c/channel.toml", "--hwdec", "vaapi", "--trace",
                                  "t.ndjson", "--exit-after", "2.5"},
                                 "320x180");
    REQUIRE_MESSAGE(vaapi.exit_code == 0, vaapi.err);
    CHECK_MESSAGE(vaapi.err.find("hardware decoding unavailable (vaapi: ") != std::string::npos,
                  vaapi.err);
    CHECK(vaapi.err.find("h264 (software)") != std::string::npos);
    auto all = plays(read_trace(dir / "t.ndjson"));
    REQUIRE(!all.empty());
    CHECK(all.front().frame_times.size() + all.front().dropped == 25);

    RunResult none = run_player(
        dir, "", {"--content", "c/channel.toml", "--hwdec", "none", "--exit-after", "0.5"},
        "320x180");
    CHECK(none.exit_code == 0);
    CHECK(none.err.find("hardware decoding") == std::string::npos);
}

TEST_CASE("sound plays when asked for and the picture follows it, and silent files play the same") {
    TempDir dir;
    fs::path tone = make_media("tone-2s.mp4",
                               {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi",
                                "-i", "sine=frequency=1000:sample_rate=44100", "-t", "2", "-c:v",
                                "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"});
    fs::path silent =
        make_media("count-1s.mp4", with(kTestSource, {"-c:v", "libx264", "-pix_fmt", "yuv420p"}));
    video_channel(dir, {{"silent", silent}, {"tone", tone}});
    // SDL's "disk" driver writes what the speakers would play to a file, a 1024-sample
    // buffer (21 ms) every SDL_DISKAUDIODELAY ms: 27 ms plays the sound at 79% of its
    // speed, as a loaded device's sound runs late, by 0.5 s at the tone's end.
    const fs::path sound = dir / "sound.raw";
    RunResult r = run_player(
        dir, "[display]\naudio = true\n",
        {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", "4.2"}, "320x180",
        {"SDL_AUDIODRIVER=disk", "SDL_DISKAUDIOFILE=" + sound.string(), "SDL_DISKAUDIODELAY=27"});
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
    // The picture follows the late sound, and the item's end follows it too: every
    // frame is shown (or, if late, counted as dropped), none cut off at the end.
    // 2 s at 79%: 2.53 s; the late allowance ends it by 2.9 s at the most.
    const double lasted = with_sound->end - with_sound->start;
    CHECK_MESSAGE(lasted > 2.3, "the tone item lasted ", lasted, " s");
    CHECK_MESSAGE(lasted < 2.95, "the tone item lasted ", lasted, " s");
    CHECK(with_sound->frame_times.size() + with_sound->dropped == 50);
    CHECK(with_sound->dropped <= 3);
    CHECK(without->frame_times.size() + without->dropped == 25);
}

TEST_CASE("a playlist, a concat script and a huge picture are skipped within a second, and the "
          "screen plays on") {
    TempDir dir;
    make_good_pair(dir);
    // A real HLS playlist with its segments, and a concat script naming a good
    // file: FFmpeg would play both, reading files the channel never named.
    make_hls(dir / "c", "list.m3u8");
    fs::copy_file(dir / "c/list.m3u8", dir / "c/list.mp4");
    dir.write("c/concat.mp4", "ffconcat version 1.0\nfile 'good.mp4'\n");
    fs::copy_file(bomb_png(), dir / "c/bomb.png");
    video_channel(dir, {{"good", dir / "c/good.mp4"},
                        {"hls", dir / "c/list.m3u8"},
                        {"hls-renamed", dir / "c/list.mp4"},
                        {"concat", dir / "c/concat.mp4"}});
    {
        // The picture after them, then a good video again.
        std::ofstream toml(dir / "c/channel.toml", std::ios::app);
        toml << file_item("bomb", "image", "bomb.png") << "duration = 2\n"
             << file_item("good-again", "video", "good-again.mp4");
    }
    RunResult r = run_player(
        dir, "", {"--content", "c/channel.toml", "--trace", "t.ndjson", "--exit-after", "5.5"},
        "640x360");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::map<std::string, std::vector<double>> errors;
    auto all = plays(read_trace(dir / "t.ndjson"), &errors);
    const Play* first = find_play(all, "good");
    const Play* again = find_play(all, "good-again");
    REQUIRE_MESSAGE(first, r.err);
    REQUIRE_MESSAGE(again, r.err);
    check_skipped_within_a_second(errors, *first, {"hls", "hls-renamed", "concat", "bomb"}, r.err);
    CHECK(find_play(all, "bomb") == nullptr); // refused before it went on screen
    CHECK(again->start - first->end < 1.0);
    CHECK(again->frame_times.size() > 10);
    for (const char* message :
         {"list.m3u8: it is an HLS playlist (hls), not a video container Milepost plays",
          "list.mp4: it is an HLS playlist (hls), not a video container Milepost plays",
          "concat.mp4: it is an FFmpeg concat script (concat), not a video container Milepost "
          "plays",
          "bomb.png: the picture is 16000x16000 px, over the 4096 px on a side a screen decodes"})
        CHECK_MESSAGE(r.err.find(message) != std::string::npos, message, "\n", r.err);
}

// The timing test runs alone, with the rest of the suite waiting: its clips are made
// here, in the main pass, and it finds them made (TimingClips.hpp).
TEST_CASE("the timing test's clips are made ahead of it: 2 s at 30 fps each, 1080p and 720p") {
    for (const fs::path& clip :
         {timing_clip_bars_1080p(), timing_clip_fractal(1080), timing_clip_fractal(720)}) {
        CAPTURE(clip);
        CHECK(count_frames(clip) == 60);
    }
}
