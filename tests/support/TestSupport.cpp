#include "TestSupport.hpp"

#include <csignal>

#include <SDL_image.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace milepost::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string templ = (fs::temp_directory_path() / "milepost-test-XXXXXX").string();
    if (!mkdtemp(templ.data()))
        throw std::runtime_error("mkdtemp failed");
    m_path = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!std::getenv("MILEPOST_KEEP_TEST_FILES"))
        fs::remove_all(m_path, ec);
}

fs::path TempDir::write(const std::string& name, const std::string& text) const {
    fs::path p = m_path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> unit_lines(const fs::path& unit, const std::string& key) {
    const std::string prefix = key + "=";
    std::vector<std::string> lines;
    std::istringstream in(read_file(unit));
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(prefix))
            lines.push_back(line.substr(prefix.size()));
    return lines;
}

namespace {

// Under AddressSanitizer (the sanitizer pass), the publisher's tool, milepost-pack,
// runs without LeakSanitizer's check at exit; every other program keeps it. The
// check scans the writable data of every library loaded: 34 MB for the 169 that
// the pack's FFmpeg brings, 0.14 CPU seconds at each of the pass's 87 runs of
// milepost-pack (12 CPU seconds), where a leak ends with the process. The player
// and sync, which run for months, are checked at every exit, and the code the pack
// shares with them in the unit tests and the fuzz replays.
void without_leak_check_at_exit(const std::string& program, std::vector<std::string>& environment) {
    if (fs::path(program).filename() != "milepost-pack")
        return;
    for (std::string& var : environment)
        if (var.starts_with("ASAN_OPTIONS="))
            var += ":detect_leaks=0";
}

} // namespace

Child::Child(const std::vector<std::string>& argv, const fs::path& cwd,
             const std::vector<std::string>& env) {
    const fs::path out = m_io / "stdout", err = m_io / "stderr";
    // posix_spawn, not fork: a fork copies the test program's page tables (over a
    // hundred libraries, and under AddressSanitizer its shadow memory), which the
    // suite paid for at every program it started.
    std::vector<std::string> environment;
    for (char** e = environ; *e; ++e) {
        const std::string_view var(*e);
        // An entry of `env` replaces the variable of its name.
        if (std::none_of(env.begin(), env.end(), [&](const std::string& set) {
                return var.starts_with(set.substr(0, set.find('=')) + "=");
            }))
            environment.emplace_back(var);
    }
    environment.insert(environment.end(), env.begin(), env.end());
    without_leak_check_at_exit(argv.front(), environment);
    std::vector<char*> args, envp;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : environment)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!cwd.empty())
        posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    const int failed = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (failed) {
        // As a shell says it: in the child's stderr, which the test reads, exit 127.
        std::ofstream(err) << "cannot run " << argv[0] << ": " << std::strerror(failed) << "\n";
        std::ofstream(out).flush();
        m_waited = true;
        m_status = 127 << 8;
        return;
    }
    m_pid = pid;
}

Child::~Child() {
    if (!m_waited) {
        ::kill(m_pid, SIGKILL);
        wait();
    }
}

void Child::kill(int signal) {
    if (!m_waited)
        ::kill(m_pid, signal);
}

bool Child::ended() {
    if (m_waited)
        return true;
    if (waitpid(m_pid, &m_status, WNOHANG) == m_pid)
        m_waited = true;
    return m_waited;
}

RunResult Child::wait() {
    if (!m_waited) {
        while (waitpid(m_pid, &m_status, 0) < 0) {
        }
        m_waited = true;
    }
    RunResult r;
    if (WIFEXITED(m_status))
        r.exit_code = WEXITSTATUS(m_status);
    else if (WIFSIGNALED(m_status))
        r.signal = WTERMSIG(m_status);
    r.out = read_file(m_io / "stdout");
    r.err = read_file(m_io / "stderr");
    return r;
}

RunResult run(const std::vector<std::string>& argv, const fs::path& cwd,
              const std::vector<std::string>& env) {
    Child child(argv, cwd, env);
    return child.wait();
}

SDL_Color Picture::at(int x, int y) const {
    const unsigned char* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
    return SDL_Color{p[0], p[1], p[2], 255};
}

Picture Picture::turned_back(int degrees) const {
    if (degrees % 360 == 0)
        return *this;
    Picture out;
    const bool swap = degrees == 90 || degrees == 270;
    out.width = swap ? height : width;
    out.height = swap ? width : height;
    out.rgb.resize(rgb.size());
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x) {
            // (x, y) in the upright picture came from (sx, sy) in this one, which was
            // turned `degrees` clockwise.
            int sx = 0, sy = 0;
            if (degrees == 90) {
                sx = width - 1 - y;
                sy = x;
            } else if (degrees == 180) {
                sx = width - 1 - x;
                sy = height - 1 - y;
            } else {
                sx = y;
                sy = height - 1 - x;
            }
            SDL_Color c = at(sx, sy);
            unsigned char* d = &out.rgb[(static_cast<size_t>(y) * out.width + x) * 3];
            d[0] = c.r;
            d[1] = c.g;
            d[2] = c.b;
        }
    return out;
}

Picture Picture::crop(int x, int y, int w, int h) const {
    Picture out;
    out.width = w;
    out.height = h;
    out.rgb.resize(static_cast<size_t>(w) * h * 3);
    for (int row = 0; row < h; ++row)
        std::copy_n(&rgb[(static_cast<size_t>(y + row) * width + x) * 3],
                    static_cast<size_t>(w) * 3, &out.rgb[static_cast<size_t>(row) * w * 3]);
    return out;
}

void Picture::save(const fs::path& png) const {
    SurfacePtr s(SDL_CreateRGBSurfaceWithFormatFrom(const_cast<unsigned char*>(rgb.data()), width,
                                                    height, 24, width * 3, SDL_PIXELFORMAT_RGB24));
    if (!s || IMG_SavePNG(s.get(), png.c_str()) != 0)
        throw std::runtime_error("cannot save " + png.string());
}

double Picture::fraction_near(SDL_Color c, int x0, int y0, int w, int h, int tolerance) const {
    long near = 0;
    for (int y = y0; y < y0 + h; ++y)
        for (int x = x0; x < x0 + w; ++x) {
            SDL_Color p = at(x, y);
            if (std::abs(p.r - c.r) <= tolerance && std::abs(p.g - c.g) <= tolerance &&
                std::abs(p.b - c.b) <= tolerance)
                ++near;
        }
    return w > 0 && h > 0 ? static_cast<double>(near) / (static_cast<double>(w) * h) : 0;
}

Picture load_picture(const fs::path& png) {
    SurfacePtr loaded(IMG_Load(png.c_str()));
    if (!loaded)
        throw std::runtime_error("cannot load " + png.string() + ": " + IMG_GetError());
    SurfacePtr s(SDL_ConvertSurfaceFormat(loaded.get(), SDL_PIXELFORMAT_RGB24, 0));
    Picture p;
    p.width = s->w;
    p.height = s->h;
    p.rgb.resize(static_cast<size_t>(p.width) * p.height * 3);
    for (int y = 0; y < p.height; ++y)
        std::copy_n(static_cast<unsigned char*>(s->pixels) + static_cast<size_t>(y) * s->pitch,
                    static_cast<size_t>(p.width) * 3, &p.rgb[static_cast<size_t>(y) * p.width * 3]);
    return p;
}

bool in_other_tree() {
    const char* tree = std::getenv("MILEPOST_TEST_TREE");
    return tree && *tree;
}

std::string in_test_tree(const std::string& built) {
    const char* tree = std::getenv("MILEPOST_TEST_TREE");
    const std::string_view root = MILEPOST_BUILD_TREE;
    if (!tree || !*tree)
        return built;
    // Never the main tree's program in its place: the sanitizer pass would pass
    // testing programs without the sanitizers.
    if (!built.starts_with(root))
        throw std::logic_error(built + " is not in " + std::string(root) +
                               ", so MILEPOST_TEST_TREE cannot stand for it");
    return tree + built.substr(root.size());
}

std::string ocr(const fs::path& png, const std::string& lang) {
    // One thread: tesseract's OpenMP threads otherwise spin waiting for each other,
    // about two thirds of its CPU time, and the tests run several at once. The text
    // read is the same.
    RunResult r = run({"tesseract", png.string(), "stdout", "-l", lang, "--psm", "3"}, {},
                      {"OMP_THREAD_LIMIT=1"});
    if (r.exit_code != 0)
        throw std::runtime_error("tesseract failed on " + png.string() + ": " + r.err);
    return r.out;
}

fs::path make_media(const std::string& name, const std::vector<std::string>& args) {
    const fs::path dir = MILEPOST_TEST_MEDIA;
    const fs::path file = dir / name;
    if (fs::exists(file))
        return file;
    fs::create_directories(dir);
    // Written under a temporary name that keeps the extension (ffmpeg picks the
    // container by it), then renamed: readers never see half a file.
    const fs::path tmp = dir / (".tmp-" + std::to_string(getpid()) + "-" + name);
    std::vector<std::string> argv{"ffmpeg", "-hide_banner", "-loglevel", "error", "-y"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(tmp.string());
    RunResult r = run(argv);
    if (r.exit_code != 0)
        throw std::runtime_error("ffmpeg could not make " + name + ": " + r.err);
    fs::rename(tmp, file);
    return file;
}

fs::path count_clip(int seconds, bool faststart) {
    const std::string s = std::to_string(seconds);
    std::vector<std::string> args{"-f",       "lavfi",  "-i",   "testsrc2=size=160x120:rate=25",
                                  "-t",       s,        "-c:v", "libx264",
                                  "-pix_fmt", "yuv420p"};
    if (faststart) {
        args.push_back("-movflags");
        args.push_back("+faststart");
    }
    return make_media("count-160x120-" + s + "s" + (faststart ? "-faststart" : "") + ".mp4", args);
}

// A RAUC bundle made by Debian's rauc, signed with a new self-signed certificate
// (dir/rauc/cert.pem): a 64 KiB "root file system" of random bytes.
fs::path make_rauc_bundle(const TempDir& dir, const std::string& version,
                          const std::string& compatible, const std::string& signer,
                          const std::string& format) {
    const fs::path work = dir / "rauc";
    fs::create_directories(work / "in");
    if (!fs::exists(work / (signer + ".cert.pem"))) {
        RunResult cert = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                              (work / (signer + ".key.pem")).string(), "-out",
                              (work / (signer + ".cert.pem")).string(), "-days", "3650", "-subj",
                              "/O=Milepost test/CN=" + signer});
        if (cert.exit_code != 0)
            throw std::runtime_error("openssl could not make a certificate: " + cert.err);
    }
    RunResult random = run({"head", "-c", "65536", "/dev/urandom"});
    std::ofstream(work / "in/rootfs.img", std::ios::binary) << random.out;
    dir.write("rauc/in/manifest.raucm", "[update]\ncompatible=" + compatible + "\nversion=" +
                                            version + "\n\n[bundle]\nformat=" + format +
                                            "\n\n"
                                            "[image.rootfs]\nfilename=rootfs.img\n");
    const fs::path bundle = work / ("milepost-" + version + "-arm64.raucb");
    fs::remove(bundle);
    RunResult made = run({"rauc", "bundle", "--cert=" + (work / (signer + ".cert.pem")).string(),
                          "--key=" + (work / (signer + ".key.pem")).string(),
                          (work / "in").string(), bundle.string()});
    if (made.exit_code != 0)
        throw std::runtime_error("rauc could not make " + bundle.string() + ": " + made.err);
    return bundle;
}

int count_frames(const fs::path& file) {
    RunResult r = run({"ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                       "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file.string()});
    if (r.exit_code != 0)
        throw std::runtime_error("ffprobe failed on " + file.string() + ": " + r.err);
    return std::stoi(r.out);
}

std::uint64_t slice_ns(int tid) {
#ifdef SYS_sched_getattr
    struct {
        std::uint32_t size, policy;
        std::uint64_t flags;
        std::int32_t nice;
        std::uint32_t priority;
        std::uint64_t runtime, deadline, period;
    } attr{};
    if (syscall(SYS_sched_getattr, tid, &attr, sizeof attr, 0) == 0)
        return attr.runtime;
#endif
    (void)tid;
    return 0;
}

std::string squeeze(const std::string& text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            space = !out.empty();
        } else {
            if (space)
                out += ' ';
            space = false;
            out += c;
        }
    }
    return out;
}

const char* const kUsHotlineToml = R"([[hotline]]
region = "*"
name = "National Human Trafficking Hotline"
call = "1-888-373-7888"
)";

std::string channel_header(const std::string& name, const std::string& title) {
    std::string out = "channel = \"" + name + "\"\n";
    if (!title.empty())
        out += "title = \"" + title + "\"\n";
    return out;
}

std::string channel_toml(const std::string& name, const std::string& rest) {
    return channel_header(name) + kUsHotlineToml + rest;
}

std::string us_hotline_toml(const std::string& keys) {
    return kUsHotlineToml + keys;
}

std::string slide_item(const std::string& id, const std::string& title, double duration) {
    std::ostringstream out;
    out << "[[item]]\nid = \"" << id << "\"\ntype = \"slide\"\ntitle = \"" << title << "\"\n";
    if (duration != 0)
        out << "duration = " << duration << "\n";
    return out.str();
}

std::string file_item(const std::string& id, const std::string& type, const std::string& file) {
    return "[[item]]\nid = \"" + id + "\"\ntype = \"" + type + "\"\nfile = \"" + file + "\"\n";
}

} // namespace milepost::test
