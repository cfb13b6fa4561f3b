// Running as a service: the units' sandbox scores and syntax, the player's
// watchdog, and the Debian package built, checked, installed and purged. The
// package test changes the machine (as CI's root); it purges what it installed.
#include "../integration/NotifySocket.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace milepost::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kUnits = fs::path(MILEPOST_SOURCE_DIR) / "systemd";

// "→ Overall exposure level for milepost-player.service: 0.7 SAFE"
double exposure(const fs::path& unit) {
    RunResult r =
        run({"systemd-analyze", "security", "--offline=yes", "--no-pager", unit.string()});
    INFO(r.out << r.err);
    const std::string marker = "Overall exposure level for " + unit.filename().string() + ": ";
    const auto at = r.out.find(marker);
    REQUIRE(at != std::string::npos);
    return std::stod(r.out.substr(at + marker.size()));
}

std::string slides_channel(const TempDir& dir) {
    return dir
        .write("c/channel.toml", R"(channel = "dog"
[[hotline]]
region = "*"
name = "National Human Trafficking Hotline"
call = "1-888-373-7888"
[[item]]
id = "one"
type = "slide"
title = "One"
duration = 30
)")
        .string();
}

bool is_root() {
    return ::geteuid() == 0;
}

} // namespace

TEST_CASE("unit sandboxes: exposure at most 2.0 for the player and 3.0 for sync") {
    const double player = exposure(kUnits / "milepost-player.service");
    const double sync = exposure(kUnits / "milepost-sync.service");
    const double firstboot = exposure(kUnits / "milepost-firstboot.service");
    MESSAGE("systemd-analyze security exposure: player ", player, ", sync ", sync, ", firstboot ",
            firstboot);
    CHECK(player <= 2.0);
    CHECK(sync <= 3.0);
    CHECK(firstboot <= 3.0);
}

TEST_CASE("systemd-analyze verify passes the units, run against the built programs") {
    TempDir dir;
    // The units name /usr/bin; these copies name the build tree's programs.
    std::vector<std::string> argv{"systemd-analyze", "verify", "--man=no"};
    for (const char* name :
         {"milepost-player.service", "milepost-sync.service", "milepost-firstboot.service"}) {
        std::string text = read_file(kUnits / name);
        for (auto [from, to] :
             {std::pair<std::string, std::string>{"/usr/bin/milepost-player", MILEPOST_PLAYER},
              {"/usr/bin/milepost-sync", MILEPOST_SYNC}})
            for (size_t at; (at = text.find(from)) != std::string::npos;)
                text.replace(at, from.size(), to);
        argv.push_back(dir.write(name, text).string());
    }
    RunResult r = run(argv);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
}

TEST_CASE("the player tells systemd it is ready, pings while it presents, and stops pinging "
          "when its loop hangs") {
    TempDir dir;
    const std::string channel = slides_channel(dir);
    const std::string config = dir.write("device.toml", "").string();
    {
        // A still on screen for the whole run: pinged from re-presenting it.
        NotifySocket notify(dir / "notify-ok");
        RunResult r =
            run({MILEPOST_PLAYER, "--config", config, "--data-dir", (dir / "data").string(),
                 "--headless", "320x180", "--content", channel, "--exit-after", "3"},
                {}, {"NOTIFY_SOCKET=" + notify.path().string(), "WATCHDOG_USEC=1000000"});
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        const auto messages = notify.messages();
        REQUIRE(!messages.empty());
        CHECK(messages.front() == "READY=1");
        CHECK(messages.back() == "STOPPING=1");
        const auto pings = std::count(messages.begin(), messages.end(), "WATCHDOG=1");
        CHECK(pings >= 5); // every half second for three seconds
    }
    {
        NotifySocket notify(dir / "notify-hang");
        const auto started = NotifySocket::Clock::now();
        Child player({MILEPOST_PLAYER, "--config", config, "--data-dir", (dir / "data").string(),
                      "--headless", "320x180", "--content", channel},
                     {},
                     {"NOTIFY_SOCKET=" + notify.path().string(), "WATCHDOG_USEC=1000000",
                      "MILEPOST_TEST_HANG_AFTER=2"});
        std::this_thread::sleep_for(4500ms);
        CHECK_FALSE(player.ended()); // hung, not dead: only the watchdog can tell
        player.kill(SIGKILL);
        const auto result = player.wait();
        CHECK(result.err.find("the loop hangs now") != std::string::npos);
        const auto messages = notify.timed();
        int early = 0, late = 0;
        for (const auto& m : messages) {
            if (m.text != "WATCHDOG=1")
                continue;
            const double t = std::chrono::duration<double>(m.at - started).count();
            if (t < 2.0)
                ++early;
            else if (t >= 2.2)
                ++late;
        }
        CHECK(early >= 3);
        CHECK(late == 0); // 2.3 s without a ping: systemd would kill and restart it
    }
}

TEST_CASE("the Debian package: built by CPack, lintian-clean, installs the user, data dir and "
          "enabled units, and purges cleanly") {
    REQUIRE_MESSAGE(is_root(), "installing a package needs root (CI runs as root)");
    TempDir dir;
    RunResult built =
        run({"cpack", "--config", std::string(MILEPOST_BUILD_DIR) + "/CPackConfig.cmake", "-B",
             (dir / "out").string()});
    REQUIRE_MESSAGE(built.exit_code == 0, built.out, built.err);
    fs::path deb;
    for (const auto& e : fs::directory_iterator(dir / "out"))
        if (e.path().extension() == ".deb")
            deb = e.path();
    REQUIRE(!deb.empty());
    const std::string name = deb.filename().string();
    CHECK(name.starts_with("milepost_"));
    CHECK((name.ends_with("_amd64.deb") || name.ends_with("_arm64.deb")));

    RunResult info = run({"dpkg-deb", "--field", deb.string(), "Package", "Version", "Architecture",
                          "Depends", "Installed-Size"});
    REQUIRE(info.exit_code == 0);
    for (const char* dep :
         {"libsdl2-2.0-0", "libavcodec", "libcurl4", "libsqlite3-0", "libsodium23", "libdate-tz3",
          "libsystemd0", "fonts-dejavu-core", "tzdata", "systemd"})
        CHECK_MESSAGE(info.out.find(dep) != std::string::npos, dep, " missing: ", info.out);
    MESSAGE(info.out);
    RunResult contents = run({"dpkg-deb", "--contents", deb.string()});
    for (const char* file :
         {"./usr/bin/milepost-player", "./usr/bin/milepost-sync", "./usr/bin/milepost-pack",
          "./lib/systemd/system/milepost-player.service",
          "./lib/systemd/system/milepost-sync.service",
          "./lib/systemd/system/milepost-firstboot.service", "./usr/lib/tmpfiles.d/milepost.conf",
          "./usr/lib/sysusers.d/milepost.conf", "./usr/share/milepost/default/channel.toml",
          "./usr/share/doc/milepost/copyright"})
        CHECK_MESSAGE(contents.out.find(std::string(file) + "\n") != std::string::npos, file);

    RunResult lint = run({"lintian", "--fail-on", "error", deb.string()});
    CHECK_MESSAGE(lint.exit_code == 0, lint.out, lint.err);

    run({"dpkg", "--purge", "milepost"}); // a leftover of an earlier run
    RunResult installed = run({"dpkg", "-i", deb.string()});
    REQUIRE_MESSAGE(installed.exit_code == 0, installed.out, installed.err);
    RunResult user = run({"id", "milepost"});
    CHECK(user.exit_code == 0);
    for (const char* group : {"video", "render", "input", "audio"})
        if (run({"getent", "group", group}).exit_code == 0)
            CHECK_MESSAGE(user.out.find(std::string("(") + group + ")") != std::string::npos,
                          group);
    CHECK(fs::is_directory("/var/lib/milepost"));
    RunResult owner = run({"stat", "-c", "%U %a", "/var/lib/milepost"});
    CHECK(owner.out == "milepost 750\n");
    for (const char* unit :
         {"milepost-player.service", "milepost-sync.service", "milepost-firstboot.service"})
        CHECK_MESSAGE(
            fs::is_symlink(fs::path("/etc/systemd/system/multi-user.target.wants") / unit), unit,
            " is not enabled");
    RunResult verify =
        run({"systemd-analyze", "verify", "--man=no", "/lib/systemd/system/milepost-player.service",
             "/lib/systemd/system/milepost-sync.service",
             "/lib/systemd/system/milepost-firstboot.service"});
    CHECK_MESSAGE(verify.exit_code == 0, verify.err);
    RunResult check = run({"/usr/bin/milepost-player", "--check-config"});
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("config ok") != std::string::npos);

    RunResult purged = run({"dpkg", "--purge", "milepost"});
    CHECK_MESSAGE(purged.exit_code == 0, purged.out, purged.err);
    CHECK_FALSE(fs::exists("/usr/bin/milepost-player"));
    CHECK_FALSE(fs::exists("/lib/systemd/system/milepost-player.service"));
    CHECK_FALSE(fs::exists("/var/lib/milepost"));
    CHECK_FALSE(fs::exists("/etc/systemd/system/multi-user.target.wants/milepost-player.service"));
    CHECK(run({"dpkg", "-s", "milepost"}).exit_code != 0);
}

namespace {

// A loop device over a file, detached (and unmounted) at the end.
struct Loop {
    std::string device;
    std::string mounted;
    explicit Loop(const fs::path& file) {
        RunResult r = run({"losetup", "--find", "--show", file.string()});
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        device = r.out.substr(0, r.out.find('\n'));
    }
    ~Loop() {
        if (!mounted.empty())
            run({"umount", mounted});
        run({"losetup", "-d", device});
    }
};

fs::path sparse_file(const fs::path& path, std::uintmax_t bytes) {
    { std::ofstream(path, std::ios::binary).close(); }
    fs::resize_file(path, bytes);
    return path;
}

// The disk "/" is on, as /dev/NAME.
std::string system_disk() {
    RunResult r = run({"findmnt", "-n", "-o", "SOURCE", "/"});
    std::string source = r.out.substr(0, r.out.find('\n'));
    REQUIRE_MESSAGE(source.starts_with("/dev/"), "/ is on ", source);
    RunResult disk = run({"lsblk", "-n", "-d", "-o", "PKNAME", source});
    std::string parent = disk.out.substr(0, disk.out.find('\n'));
    return parent.empty() ? source : "/dev/" + parent;
}

} // namespace

TEST_CASE("provision flash writes a card with bmaptool and reads the site back, and refuses "
          "the wrong disks") {
    REQUIRE_MESSAGE(is_root(), "loop devices need root (CI runs as root)");
    TempDir dir;
    // The image: 64 MB, an MBR with a FAT boot partition, its bmap beside it.
    const fs::path image = sparse_file(dir / "milepost.img", 64ull << 20);
    const fs::path layout =
        dir.write("layout", "label: dos\nstart=8192, size=65536, type=c\nstart=73728, type=83\n");
    REQUIRE(run({"sh", "-c", "sfdisk -q '" + image.string() + "' < '" + layout.string() + "'"})
                .exit_code == 0);
    REQUIRE(run({"mformat", "-i", image.string() + "@@4194304", "-F", "-v", "BOOT", "::"}, {},
                {"MTOOLS_SKIP_CHECK=1"})
                .exit_code == 0);
    REQUIRE(run({"sh", "-c",
                 "bmaptool create '" + image.string() + "' > '" + image.string() + ".bmap'"})
                .exit_code == 0);
    RunResult cfg = run({MILEPOST_PROVISION, "config", "--id", "ta-42", "--site", "Travel Center",
                         "--region", "US-TX"});
    REQUIRE(cfg.exit_code == 0);
    const fs::path config = dir.write("milepost.toml", cfg.out);
    auto flash = [&](const std::string& device, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv{MILEPOST_PROVISION, "flash",        image.string(), device,
                                      "--config",         config.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run(argv);
    };

    Loop card(sparse_file(dir / "card", 128ull << 20));
    RunResult ok = flash(card.device, {"--hostname", "ta-42-lobby"});
    REQUIRE_MESSAGE(ok.exit_code == 0, ok.err);
    CHECK(ok.err.find("using bmap file") != std::string::npos);
    CHECK(ok.err.find("read back") != std::string::npos);
    RunResult back = run({MILEPOST_PROVISION, "read", card.device});
    CHECK(back.exit_code == 0);
    CHECK(back.out == cfg.out);
    CHECK(back.err.find("hostname ta-42-lobby") != std::string::npos);

    // Larger than a card: refused, unless forced.
    Loop big(sparse_file(dir / "big", 300ull << 30));
    RunResult large = flash(big.device);
    CHECK(large.exit_code == 1);
    CHECK(large.err.find("larger than any card") != std::string::npos);
    RunResult forced = flash(big.device, {"--force"});
    CHECK_MESSAGE(forced.exit_code == 0, forced.err);

    // Mounted: refused, nothing written.
    Loop busy(sparse_file(dir / "busy", 32ull << 20));
    REQUIRE(run({"mkfs.ext4", "-q", busy.device}).exit_code == 0);
    fs::create_directories(dir / "mnt");
    REQUIRE(run({"mount", busy.device, (dir / "mnt").string()}).exit_code == 0);
    busy.mounted = (dir / "mnt").string();
    RunResult mounted = flash(busy.device);
    CHECK(mounted.exit_code == 1);
    CHECK(mounted.err.find("mounted") != std::string::npos);

    // The disk this system runs from, given with an image that does not exist, so
    // that nothing could be written even if the refusal failed.
    RunResult system = run({MILEPOST_PROVISION, "flash", (dir / "none.img").string(), system_disk(),
                            "--config", config.string()});
    CHECK(system.exit_code == 1);
    CHECK(system.err.find("the disk this system runs from") != std::string::npos);

    // Not a block device at all.
    RunResult file = flash((dir / "card").string());
    CHECK(file.exit_code == 1);
    CHECK(file.err.find("not a block device") != std::string::npos);
}
