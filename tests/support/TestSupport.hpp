#pragma once
// What the tests share: a temporary folder, running a program, reading a PNG's
// pixels and reading its text with tesseract.
#include "render/SdlHandles.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace milepost::test {

// A fresh folder under /tmp, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }
    // Writes `text` to `name` inside the folder and returns its path.
    std::filesystem::path write(const std::string& name, const std::string& text) const;

private:
    std::filesystem::path m_path;
};

struct RunResult {
    int exit_code = -1; // -1: killed by a signal (see signal)
    int signal = 0;
    std::string out;
    std::string err;
};

// A program started in the background: its output kept in files, stopped (with
// SIGKILL) and waited for when the Child goes away.
class Child {
public:
    Child(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {},
          const std::vector<std::string>& env = {});
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    int pid() const { return m_pid; }
    void kill(int signal);
    // Waits for it to end; what it printed so far is in the result.
    RunResult wait();
    // Whether it has ended, without waiting.
    bool ended();

private:
    TempDir m_io;
    int m_pid = -1;
    bool m_waited = false;
    int m_status = 0;
};

// Runs `argv` with `cwd` as working directory and `env` ("NAME=value") added to
// the environment, waits, and returns what it printed.
RunResult run(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {},
              const std::vector<std::string>& env = {});

// The picture in a PNG file as packed RGB24.
struct Picture {
    int width = 0, height = 0;
    std::vector<unsigned char> rgb;
    SDL_Color at(int x, int y) const;
    // Turned `degrees` (90, 180, 270) counter-clockwise.
    Picture turned_back(int degrees) const;
    Picture crop(int x, int y, int w, int h) const;
    void save(const std::filesystem::path& png) const;
    // Fraction of pixels in the rectangle close to `c` (each channel within `tolerance`).
    double fraction_near(SDL_Color c, int x, int y, int w, int h, int tolerance = 24) const;
};
Picture load_picture(const std::filesystem::path& png);

// `built`, a path in the build tree these tests were built in; with the
// environment's MILEPOST_TEST_TREE set to another build tree, the same path in that
// one. The sanitizer pass runs the main tree's integration_tests against the
// sanitizer tree's programs this way (the test program is not instrumented in
// either tree, so it is built once).
std::string in_test_tree(const std::string& built);
// Whether the programs under test are another tree's (the sanitizer pass's): they
// run several times slower there, at nice 19 beside the gles2 tests, so a check of
// when something happened allows them more.
bool in_other_tree();
#ifdef MILEPOST_PLAYER_BUILT // integration_tests
#define MILEPOST_PLAYER ::milepost::test::in_test_tree(MILEPOST_PLAYER_BUILT)
#define MILEPOST_PACK ::milepost::test::in_test_tree(MILEPOST_PACK_BUILT)
#define MILEPOST_SYNC ::milepost::test::in_test_tree(MILEPOST_SYNC_BUILT)
#define MILEPOST_PROVISION ::milepost::test::in_test_tree(MILEPOST_PROVISION_BUILT)
#define MILEPOST_SNAPSHOT_DIR ::milepost::test::in_test_tree(MILEPOST_SNAPSHOT_DIR_BUILT)
#endif

// The text tesseract reads in `png` (`lang`: "eng", "fra", "eng+fra").
std::string ocr(const std::filesystem::path& png, const std::string& lang = "eng");

// A media file made once with the ffmpeg CLI and kept in the build's test-media
// folder: `ffmpeg -y ARGS... FILE`. Safe when two test processes make it at once.
std::filesystem::path make_media(const std::string& name, const std::vector<std::string>& args);
// A counting clip (testsrc2, 160x120 at 25 fps, H.264) of `seconds`, made once by
// make_media; `faststart`: its index (moov) before its data, else after it.
std::filesystem::path count_clip(int seconds, bool faststart = false);
// What a file named .mp4 that is not a video holds in the tests.
inline constexpr const char* kTextNamedVideo =
    "This is not a video, only text with a video's name.\n";
// A RAUC bundle made by Debian's rauc (`rauc bundle`) with a 64 KiB "root file
// system" of random bytes, signed with dir/rauc/SIGNER.cert.pem, a self-signed
// certificate made the first time. Format "verity" as images/build makes them;
// "plain" is what this machine's kernel can install (verity needs device-mapper).
std::filesystem::path make_rauc_bundle(const TempDir& dir, const std::string& version,
                                       const std::string& compatible,
                                       const std::string& signer = "signer",
                                       const std::string& format = "verity");
// How many video frames a file holds (ffprobe -count_frames).
int count_frames(const std::filesystem::path& file);

// A whole file's bytes ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);
// What each `key=` line of a systemd unit file sets, in order: "SystemCallFilter"
// gives each line's "@system-service", "~@privileged @resources ...".
std::vector<std::string> unit_lines(const std::filesystem::path& unit, const std::string& key);

// `text` with every run of white space folded into one space.
std::string squeeze(const std::string& text);

// A thread's time slice in nanoseconds, as sched_getattr(2) reports it (`tid` 0: the
// calling thread's); 0 where the kernel keeps none of its own (before Linux 6.12).
std::uint64_t slice_ns(int tid);

// A channel source for the tests: `channel = "NAME"`, the US hotline (region "*"),
// then `rest` (items, alerts, more hotlines) as TOML.
std::string channel_toml(const std::string& name, const std::string& rest);
// The US National Human Trafficking Hotline as a [[hotline]] for every region.
extern const char* const kUsHotlineToml;
// A channel source's first line, `channel = "NAME"`, and `title = "TITLE"` when given.
std::string channel_header(const std::string& name, const std::string& title = "");
// kUsHotlineToml with `keys` (TOML lines such as `url = "..."`) added to its table.
std::string us_hotline_toml(const std::string& keys);
// A slide [[item]]: id, title, and `duration = DURATION` unless it is 0.
std::string slide_item(const std::string& id, const std::string& title, double duration = 0);
// An [[item]] of `type` ("video", "image") showing `file`.
std::string file_item(const std::string& id, const std::string& type, const std::string& file);

} // namespace milepost::test
