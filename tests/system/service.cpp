// Running as a service: the units' sandbox scores and syntax, the player's
// watchdog, and the Debian package built, checked, installed and purged, with
// the two users at work (the player cannot touch the content or the secrets).
// The package test changes the machine (as CI's root); it purges what it
// installed (the users stay, as Debian does).
#include "../integration/NotifySocket.hpp"
#include "../integration/SyncServers.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>
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

// `dir`/c/channel.toml: `items` slides (1 or 2: "one", "two") of `seconds` each.
std::string slides_channel(const TempDir& dir, int seconds, int items) {
    std::string toml = R"(channel = "dog"
[[hotline]]
region = "*"
name = "National Human Trafficking Hotline"
call = "1-888-373-7888"
)";
    const char* names[][2] = {{"one", "One"}, {"two", "Two"}};
    for (int i = 0; i < items && i < 2; ++i)
        toml += std::string("[[item]]\nid = \"") + names[i][0] +
                "\"\ntype = \"slide\"\ntitle = \"" + names[i][1] +
                "\"\nduration = " + std::to_string(seconds) + "\n";
    return dir.write("c/channel.toml", toml).string();
}

bool is_root() {
    return ::geteuid() == 0;
}

// "owner group mode" of a file, not following a link: "milepost-sync milepost 1770".
std::string owner_mode(const fs::path& file) {
    RunResult r = run({"stat", "-c", "%U %G %a", file.string()});
    return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "missing: " + r.err;
}

// `argv` as `user` of the group milepost, with the umask its unit gives it.
std::vector<std::string> as_user(const std::string& user, const std::vector<std::string>& argv) {
    std::vector<std::string> as{"setpriv",
                                "--reuid=" + user,
                                "--regid=milepost",
                                "--init-groups",
                                "--",
                                "sh",
                                "-c",
                                "umask 0027; exec \"$@\"",
                                "sh"};
    as.insert(as.end(), argv.begin(), argv.end());
    return as;
}

RunResult run_as(const std::string& user, const std::vector<std::string>& argv) {
    return run(as_user(user, argv), "/", {"HOME=/nonexistent"});
}

// The values of `key` in a unit file (each line may hold several).
std::vector<std::string> unit_values(const fs::path& unit, const std::string& key) {
    std::vector<std::string> values;
    for (const std::string& line : unit_lines(unit, key)) {
        std::istringstream words(line);
        for (std::string w; words >> w;)
            values.push_back(w);
    }
    return values;
}

// Rows of the play log matching `where`; -1 while it cannot be read (not made yet).
std::int64_t count_rows(const fs::path& db, const std::string& where) {
    if (!fs::exists(db)) // sqlite3 would make it, as root: the player could not write it
        return -1;
    RunResult r = run({"sqlite3", db.string(), "SELECT count(*) FROM plays WHERE " + where});
    return r.exit_code == 0 && !r.out.empty() ? std::stoll(r.out) : -1;
}

// What a screen of the one-user days left behind: everything the user milepost's,
// 0600 and 0700 (its units had UMask=0077), a token it could read.
void make_one_user_install() {
    if (run({"getent", "passwd", "milepost"}).exit_code != 0)
        REQUIRE(run({"useradd", "--system", "--user-group", "--home-dir", "/var/lib/milepost",
                     "--shell", "/usr/sbin/nologin", "milepost"})
                    .exit_code == 0);
    const fs::path data = "/var/lib/milepost";
    fs::create_directories(data / "objects");
    fs::create_directories(data / "channels/news.7");
    fs::create_directories(data / "partial");
    std::ofstream(data / "objects" / std::string(64, 'a')) << "old object";
    std::ofstream(data / "channels/news.7/manifest.json") << "{}";
    std::ofstream(data / "sync.json") << "{}";
    std::ofstream(data / "player.json") << "{}";
    fs::create_symlink("channels/news.7", data / "active");
    // A real play log, made by the player of those days (as root here; chowned below).
    REQUIRE(run({"sqlite3", (data / "playlog.db").string(),
                 "CREATE TABLE old(x); INSERT INTO old VALUES (1);"})
                .exit_code == 0);
    fs::create_directories("/etc/milepost");
    std::ofstream("/etc/milepost/token") << "old-secret\n";
    REQUIRE(run({"chown", "-hR", "milepost:milepost", data.string()}).exit_code == 0);
    REQUIRE(run({"chown", "milepost:milepost", "/etc/milepost/token"}).exit_code == 0);
    REQUIRE(run({"sh", "-c",
                 "find /var/lib/milepost -type d -exec chmod 0700 {} + && "
                 "find /var/lib/milepost -type f -exec chmod 0600 {} + && "
                 "chmod 0600 /etc/milepost/token"})
                .exit_code == 0);
}

// fs.protected_regular as Debian sets it (2, /usr/lib/sysctl.d/99-protect-links.conf)
// while it lives, and as it was afterwards: in the data folder (sticky,
// group-writable) the kernel then refuses an open with O_CREAT of a file another
// user owns. Containers often leave it 0, where that cannot be seen.
struct ProtectedRegularAsDebian {
    std::string was = read_file("/proc/sys/fs/protected_regular");
    ProtectedRegularAsDebian() {
        std::ofstream("/proc/sys/fs/protected_regular") << "2\n";
        REQUIRE(read_file("/proc/sys/fs/protected_regular") == "2\n");
    }
    ~ProtectedRegularAsDebian() { std::ofstream("/proc/sys/fs/protected_regular") << was; }
};

// The two programs at work on the installed package, each as its user with its
// unit's umask: the player plays (and logs) while sync fetches a signed channel
// and uploads and marks the player's rows; then what the player may not do.
void check_two_users_at_work(const TempDir& dir) {
    const ProtectedRegularAsDebian debian;
    const fs::path data = "/var/lib/milepost";
    fs::remove(data / "playlog.db"); // made afresh by the player below
    // Both programs read the config and the player's channel from here.
    fs::permissions(dir.path(), fs::perms(0755));
    auto keys = milepost::minisign_generate();
    const Blob clip = random_blob("clip", 20000, 7);
    publish(dir / "site", keys.second, "news", 10, {clip});
    FaultServer server(dir / "site");
    const std::string config =
        dir.write("device.toml",
                  sync_config(server.url(), keys.first, "news",
                              "[logs]\nupload_url = \"" + server.url() +
                                  "uploads/\"\ntoken_file = \"/etc/milepost/token\"\n"
                                  "[display]\nboot_info_seconds = 0\n"))
            .string();
    const std::string channel = slides_channel(dir, 1, 2);
    fs::permissions(dir / "c", fs::perms(0755));
    fs::permissions(dir / "device.toml", fs::perms(0644));
    fs::permissions(channel, fs::perms(0644));

    Child player(
        as_user("milepost-player", {"/usr/bin/milepost-player", "--config", config, "--data-dir",
                                    data.string(), "--headless", "320x180", "--content", channel}),
        "/", {"HOME=/nonexistent"});
    const fs::path db = data / "playlog.db";
    // Two finished rows (an upload stops short of the row still on screen).
    for (int i = 0; i < 200 && count_rows(db, "outcome IS NOT NULL") < 2; ++i)
        std::this_thread::sleep_for(100ms);
    REQUIRE_MESSAGE(count_rows(db, "outcome IS NOT NULL") >= 2,
                    "the player as milepost-player logged no plays");

    // sync, as milepost-sync, while the player writes: fetches, verifies,
    // activates, then uploads the player's rows and marks them (through the
    // group, in the player's database and its -wal).
    RunResult once = run_as("milepost-sync", {"/usr/bin/milepost-sync", "--config", config,
                                              "--data-dir", data.string(), "--once"});
    CHECK_MESSAGE(once.exit_code == 0, once.out, once.err);
    player.kill(SIGTERM);
    player.wait();
    CHECK(count_rows(db, "uploaded = 1") >= 2);
    bool token_sent = false;
    for (const auto& head : server.put_heads())
        token_sent = token_sent || head.find("Bearer old-secret") != std::string::npos;
    CHECK_MESSAGE(token_sent, "sync did not read its token");

    // What each made, with the modes the table in docs/operators.md gives.
    const std::string object = sha256_hex(clip.bytes);
    CHECK(owner_mode(db) == "milepost-player milepost 660");
    CHECK(owner_mode(data / "objects" / object) == "milepost-sync milepost 640");
    const fs::path active = fs::read_symlink(data / "active");
    CHECK(active.string().starts_with("channels/")); // channels/<sequence>-news
    CHECK(active.string().ends_with("-news"));
    CHECK(owner_mode(data / active) == "milepost-sync milepost 750");
    CHECK(owner_mode(data / active / "manifest.json") == "milepost-sync milepost 640");
    CHECK(owner_mode(data / "sync.json") == "milepost-sync milepost 640");
    CHECK(owner_mode(data / "sync.lock") == "milepost-sync milepost 600");

    // The player reads the content and sync's news, and can change none of it.
    auto as_player = [](const std::string& script) {
        return run_as("milepost-player", {"sh", "-c", script});
    };
    CHECK(as_player("cat /var/lib/milepost/objects/" + object + " >/dev/null").exit_code == 0);
    CHECK(as_player("cat /var/lib/milepost/sync.json >/dev/null").exit_code == 0);
    for (const std::string& script :
         {"echo x >> /var/lib/milepost/objects/" + object,
          std::string("touch /var/lib/milepost/objects/") + std::string(64, 'b'),
          std::string("rm -f /var/lib/milepost/objects/") + object,
          std::string("mv /var/lib/milepost/objects /var/lib/milepost/o2"),
          std::string("echo '{}' > /var/lib/milepost/") + active.string() + "/manifest.json",
          std::string("ln -sfn channels/x /var/lib/milepost/active"),
          std::string("mv /var/lib/milepost/active /var/lib/milepost/a2"),
          std::string("rm -f /var/lib/milepost/sync.json"),
          std::string("ls /var/lib/milepost/partial"),
          // The secrets: not by their mode, whatever the unit hides.
          std::string("cat /etc/milepost/token"), std::string("ls /etc/milepost/s3"),
          // A lock it could open it could hold, and stop every update.
          std::string("flock -n /var/lib/milepost/sync.lock true")}) {
        RunResult r = as_player(script);
        CHECK_MESSAGE(r.exit_code != 0, "the player could: ", script);
    }
    CHECK(read_file(data / "objects" / object) == clip.bytes);
    CHECK(fs::read_symlink(data / "active") == active);
    // Its own files it may replace: a link planted as its screenshot must not
    // make sync upload the token.
    CHECK(as_player("cd /var/lib/milepost && rm -f screenshot.png && ln -s /etc/milepost/token "
                    "screenshot.png")
              .exit_code == 0);
    const std::size_t puts_before = server.put_heads().size();
    RunResult again = run_as("milepost-sync", {"/usr/bin/milepost-sync", "--config", config,
                                               "--data-dir", data.string(), "--once"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    // It did upload in that run: the link alone was left out.
    const auto heads = server.put_heads();
    CHECK(std::any_of(heads.begin() + static_cast<std::ptrdiff_t>(puts_before), heads.end(),
                      [](const std::string& head) {
                          return head.starts_with("PUT /uploads/test-screen-1/status.json ");
                      }));
    const std::string uploaded = read_file(dir / "site/uploads/test-screen-1/screenshot.png");
    CHECK(uploaded.find("old-secret") == std::string::npos);

    // A new data partition: before sync's first pointer, the player plants one
    // named like a channel of sequence 999999999. Neither program may take it
    // (sync would refuse every real version below it, for good).
    const fs::path fresh = dir / "fresh";
    fs::create_directories(fresh);
    REQUIRE(run({"chown", "milepost-sync:milepost", fresh.string()}).exit_code == 0);
    fs::permissions(fresh, fs::perms(01770));
    CHECK(as_player("ln -s channels/news.999999999 " + (fresh / "active").string()).exit_code == 0);
    RunResult first = run_as("milepost-sync", {"/usr/bin/milepost-sync", "--config", config,
                                               "--data-dir", fresh.string(), "--once"});
    CHECK_MESSAGE(first.exit_code == 0, first.err);
    CHECK(run({"stat", "-c", "%U", (fresh / "active").string()}).out == "milepost-sync\n");
}

} // namespace

TEST_CASE("unit sandboxes: exposure at most 2.0 for the player and 3.0 for sync") {
    const double player = exposure(kUnits / "milepost-player.service");
    const double sync = exposure(kUnits / "milepost-sync.service");
    const double firstboot = exposure(kUnits / "milepost-firstboot.service");
    const double splash = exposure(kUnits / "milepost-splash.service");
    MESSAGE("systemd-analyze security exposure: player ", player, ", sync ", sync, ", firstboot ",
            firstboot, ", splash ", splash);
    CHECK(player <= 2.0);
    CHECK(sync <= 3.0);
    CHECK(firstboot <= 3.0);
    CHECK(splash <= 2.0);
}

TEST_CASE("systemd-analyze verify passes the units, run against the built programs") {
    TempDir dir;
    // The units name /usr/bin; these copies name the build tree's programs.
    std::vector<std::string> argv{"systemd-analyze", "verify", "--man=no"};
    for (const char* name : {"milepost-player.service", "milepost-sync.service",
                             "milepost-firstboot.service", "milepost-splash.service"}) {
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
    const std::string channel = slides_channel(dir, 30, 1);
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

TEST_CASE("the Debian package: built by CPack, lintian-clean, installs two users, the data "
          "dir's modes and enabled units, moves a one-user install, and as their users the player "
          "cannot touch content or secrets and sync marks its plays, and purges cleanly") {
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
          "./lib/systemd/system/milepost-firstboot.service",
          "./lib/systemd/system/milepost-splash.service", "./usr/lib/tmpfiles.d/milepost.conf",
          "./usr/lib/sysusers.d/milepost.conf", "./usr/share/milepost/truckstop/channel.toml",
          "./usr/share/milepost/bus/channel.toml",
          "./usr/share/milepost/weigh-station/channel.toml",
          "./usr/share/milepost/licensing/channel.toml", "./usr/share/doc/milepost/copyright"})
        CHECK_MESSAGE(contents.out.find(std::string(file) + "\n") != std::string::npos, file);

    RunResult lint = run({"lintian", "--fail-on", "error", deb.string()});
    CHECK_MESSAGE(lint.exit_code == 0, lint.out, lint.err);
    // Each program has its man page (lintian said no-manual-page before they had).
    CHECK_MESSAGE(lint.out.find("no-manual-page") == std::string::npos, lint.out);
    CHECK_MESSAGE(lint.out.find("manpage-has-errors") == std::string::npos, lint.out);
    RunResult listed = run({"dpkg-deb", "--contents", deb.string()});
    for (const char* page : {"milepost-player", "milepost-sync", "milepost-pack"})
        CHECK_MESSAGE(listed.out.find("/usr/share/man/man1/" + std::string(page) + ".1.gz") !=
                          std::string::npos,
                      page, listed.out);

    // --no-triggers: other packages' triggers wait for the next dpkg or apt run; the
    // package's own scripts run as ever. What waits is man-db's rebuild of the index of
    // every manual page on the machine (lintian checks ours above): 9 of this test's 34
    // CPU seconds, at the install and at the purge.
    run({"dpkg", "--purge", "--no-triggers", "milepost"}); // a leftover of an earlier run
    fs::remove_all("/var/lib/milepost");
    fs::remove("/etc/milepost/token");
    make_one_user_install();
    RunResult installed = run({"dpkg", "-i", "--no-triggers", deb.string()});
    REQUIRE_MESSAGE(installed.exit_code == 0, installed.out, installed.err);
    CHECK(installed.err.find("moved /var/lib/milepost") != std::string::npos);

    // Two users of the group milepost; only the player in the device groups.
    RunResult player = run({"id", "milepost-player"});
    RunResult sync = run({"id", "milepost-sync"});
    REQUIRE(player.exit_code == 0);
    REQUIRE(sync.exit_code == 0);
    CHECK(run({"id", "-gn", "milepost-player"}).out == "milepost\n");
    CHECK(run({"id", "-gn", "milepost-sync"}).out == "milepost\n");
    for (const char* group : {"video", "render", "input", "audio"})
        if (run({"getent", "group", group}).exit_code == 0) {
            CHECK_MESSAGE(player.out.find(std::string("(") + group + ")") != std::string::npos,
                          group);
            CHECK_MESSAGE(sync.out.find(std::string("(") + group + ")") == std::string::npos,
                          group);
        }

    // The data folder and the secrets, as the README's table says; the old
    // install's files moved to their new owners.
    const fs::path data = "/var/lib/milepost";
    CHECK(owner_mode(data) == "milepost-sync milepost 1770");
    CHECK(owner_mode(data / "objects") == "milepost-sync milepost 750");
    CHECK(owner_mode(data / "channels") == "milepost-sync milepost 750");
    CHECK(owner_mode(data / "partial") == "milepost-sync milepost 700");
    CHECK(owner_mode(data / "objects" / std::string(64, 'a')) == "milepost-sync milepost 640");
    CHECK(owner_mode(data / "channels/news.7") == "milepost-sync milepost 750");
    CHECK(owner_mode(data / "channels/news.7/manifest.json") == "milepost-sync milepost 640");
    CHECK(owner_mode(data / "sync.json") == "milepost-sync milepost 640");
    CHECK(run({"stat", "-c", "%U", (data / "active").string()}).out == "milepost-sync\n");
    CHECK(owner_mode(data / "playlog.db") == "milepost-player milepost 660");
    CHECK(owner_mode(data / "player.json") == "milepost-player milepost 640");
    CHECK(owner_mode("/etc/milepost/token") == "milepost-sync milepost 600");
    CHECK(owner_mode("/etc/milepost/s3") == "milepost-sync milepost 700");

    // The units: each program as its user, the player blind to the secrets.
    const fs::path units = "/lib/systemd/system";
    CHECK(unit_values(units / "milepost-player.service", "User") ==
          std::vector<std::string>{"milepost-player"});
    CHECK(unit_values(units / "milepost-sync.service", "User") ==
          std::vector<std::string>{"milepost-sync"});
    CHECK(unit_values(units / "milepost-firstboot.service", "User") ==
          std::vector<std::string>{"milepost-player"});
    CHECK(unit_values(units / "milepost-splash.service", "User") ==
          std::vector<std::string>{"milepost-player"});
    for (const char* unit :
         {"milepost-player.service", "milepost-sync.service", "milepost-firstboot.service"}) {
        CHECK_MESSAGE(unit_values(units / unit, "Group") == std::vector<std::string>{"milepost"},
                      unit);
        CHECK_MESSAGE(unit_values(units / unit, "MemoryMax").size() == 1, unit);
    }
    for (const char* unit : {"milepost-player.service", "milepost-firstboot.service"}) {
        const auto hidden = unit_values(units / unit, "InaccessiblePaths");
        for (const char* secret : {"-/etc/milepost/token", "-/etc/milepost/s3"})
            CHECK_MESSAGE(std::find(hidden.begin(), hidden.end(), secret) != hidden.end(), unit,
                          " does not hide ", secret);
    }
    CHECK(unit_values(units / "milepost-player.service", "UMask") ==
          std::vector<std::string>{"0027"});
    // Once the player stops, the splash goes back on the screen.
    std::string after_stop; // unit_values gives the line's words
    for (const auto& word : unit_values(units / "milepost-player.service", "ExecStopPost"))
        after_stop += word + " ";
    CHECK_MESSAGE(after_stop.find("/usr/bin/milepost-player --splash /dev/fb0") !=
                      std::string::npos,
                  after_stop);
    CHECK(unit_values(units / "milepost-sync.service", "UMask") ==
          std::vector<std::string>{"0027"});
    // A system update's record needs this boot's id, which sync's sandbox hides in /proc/sys.
    CHECK(unit_values(units / "milepost-sync.service", "Environment") ==
          std::vector<std::string>{"MILEPOST_BOOT_ID=%b"});

    check_two_users_at_work(dir);
    for (const char* unit :
         {"milepost-player.service", "milepost-sync.service", "milepost-firstboot.service"})
        CHECK_MESSAGE(
            fs::is_symlink(fs::path("/etc/systemd/system/multi-user.target.wants") / unit), unit,
            " is not enabled");
    // The splash starts with the system, long before the multi-user target.
    CHECK(fs::is_symlink("/etc/systemd/system/sysinit.target.wants/milepost-splash.service"));
    RunResult verify =
        run({"systemd-analyze", "verify", "--man=no", "/lib/systemd/system/milepost-player.service",
             "/lib/systemd/system/milepost-sync.service",
             "/lib/systemd/system/milepost-firstboot.service",
             "/lib/systemd/system/milepost-splash.service"});
    CHECK_MESSAGE(verify.exit_code == 0, verify.err);
    RunResult check = run({"/usr/bin/milepost-player", "--check-config"});
    CHECK(check.exit_code == 0);
    CHECK(check.out.find("config ok") != std::string::npos);

    fs::remove("/etc/milepost/token");
    RunResult purged = run({"dpkg", "--purge", "--no-triggers", "milepost"});
    CHECK_MESSAGE(purged.exit_code == 0, purged.out, purged.err);
    CHECK_FALSE(fs::exists("/usr/bin/milepost-player"));
    CHECK_FALSE(fs::exists("/lib/systemd/system/milepost-player.service"));
    CHECK_FALSE(fs::exists("/var/lib/milepost"));
    CHECK_FALSE(fs::exists("/etc/systemd/system/multi-user.target.wants/milepost-player.service"));
    CHECK_FALSE(fs::exists("/etc/systemd/system/sysinit.target.wants/milepost-splash.service"));
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
