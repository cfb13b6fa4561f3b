// Measures the play log (not a test: figures for bench/playlog).
//   milepost-bench-playlog rate DIR      rows/s the recorder takes from a 60 fps loop
//                                        with no event dropped, and the longest the
//                                        loop spent handing rows over in one frame
//   milepost-bench-playlog fill DIR N    N finished plays in DIR/playlog.db; prints
//                                        the file's size
#include "app/PlayRecorder.hpp"
#include "store/PlayLog.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

using namespace milepost;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

PlayStart start_of(std::int64_t i, WallTime at) {
    return {"awareness-video-" + std::to_string(i % 24),
            std::string(64, 'a'),
            "trucking",
            12,
            at,
            true,
            "en",
            "en"};
}

int fill(const fs::path& dir, long n) {
    fs::create_directories(dir);
    auto log = PlayLog::open(dir / "playlog.db");
    if (!log) {
        std::fprintf(stderr, "%s\n", log.error().message.c_str());
        return 1;
    }
    const WallTime t0 = std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now() - std::chrono::days(30));
    log->begin();
    for (long i = 0; i < n; ++i) {
        const WallTime at = t0 + std::chrono::seconds(10 * i);
        auto id = log->insert_start(start_of(i, at));
        log->finish(*id, {at + std::chrono::seconds(10), 10000, "completed", ""});
    }
    log->commit();
    log->checkpoint();
    std::printf("%ld rows: %.2f MB\n", n,
                static_cast<double>(fs::file_size(dir / "playlog.db")) / 1e6);
    return 0;
}

int rate(const fs::path& dir) {
    fs::create_directories(dir);
    std::printf("rows/s offered  frames  longest hand-over in a frame  dropped\n");
    for (long per_frame : {1L, 10L, 50L, 100L, 200L, 400L, 800L}) {
        fs::remove(dir / "playlog.db");
        fs::remove(dir / "playlog.db-wal");
        fs::remove(dir / "playlog.db-shm");
        auto recorder = PlayRecorder::open(dir / "playlog.db");
        const auto frame = std::chrono::microseconds(16667);
        Clock::duration longest{};
        auto next = Clock::now();
        std::int64_t i = 0;
        const int frames = 180; // three seconds
        for (int f = 0; f < frames; ++f) {
            const auto t = Clock::now();
            for (long k = 0; k < per_frame; ++k, ++i) {
                const WallTime at = std::chrono::time_point_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now());
                auto token = recorder->started(start_of(i, at));
                recorder->ended(token, {at, 16, "completed", ""});
            }
            longest = std::max(longest, Clock::now() - t);
            next += frame;
            std::this_thread::sleep_until(next);
        }
        const auto dropped = recorder->dropped();
        recorder.reset(); // drains the queue
        std::printf("%14ld  %6d  %25.3f ms  %7llu\n", per_frame * 60, frames,
                    std::chrono::duration<double, std::milli>(longest).count(),
                    static_cast<unsigned long long>(dropped));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "fill" && argc == 4)
        return fill(argv[2], std::atol(argv[3]));
    if (mode == "rate" && argc == 3)
        return rate(argv[2]);
    std::fprintf(stderr, "usage: milepost-bench-playlog rate DIR | fill DIR N\n");
    return 2;
}
