// milepost-provision on a card image the test makes itself (sfdisk + mformat):
// configs checked by the player's parser, a batch with bad rows, write and read
// without root.
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

using namespace milepost::test;
namespace fs = std::filesystem;

namespace {

// A 64 MB card image: an MBR with a 32 MB FAT32 boot partition at 4 MiB and a
// Linux partition after it, as images/build lays them out.
fs::path make_card(const TempDir& dir, const std::string& name = "card.img") {
    const fs::path image = dir / name;
    { std::ofstream(image, std::ios::binary).close(); }
    fs::resize_file(image, 64ull << 20);
    const fs::path layout = dir.write(
        name + ".sfdisk", "label: dos\nstart=8192, size=65536, type=c\nstart=73728, type=83\n");
    RunResult part =
        run({"sh", "-c", "sfdisk -q '" + image.string() + "' < '" + layout.string() + "'"});
    REQUIRE_MESSAGE(part.exit_code == 0, part.err);
    RunResult fat = run({"mformat", "-i", image.string() + "@@" + std::to_string(8192 * 512), "-F",
                         "-v", "BOOT", "::"},
                        {}, {"MTOOLS_SKIP_CHECK=1"});
    REQUIRE_MESSAGE(fat.exit_code == 0, fat.err);
    return image;
}

RunResult provision(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{MILEPOST_PROVISION};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, env);
}

// The player's own check of a file as /boot/firmware/milepost.toml.
RunResult player_check(const fs::path& file) {
    return run({MILEPOST_PLAYER, "--check-config"}, {},
               {"MILEPOST_DEFAULT_CONFIG=/nonexistent/device.toml",
                "MILEPOST_PROVISIONING_CONFIG=" + file.string()});
}

} // namespace

TEST_CASE("provision config prints a site config the player accepts, and names bad values") {
    TempDir dir;
    RunResult keys = run({MILEPOST_PACK, "keygen", "--secret-key", (dir / "k.key").string(),
                          "--public-key", (dir / "k.pub").string()});
    REQUIRE(keys.exit_code == 0);
    RunResult r = provision(
        {"config", "--id", "us-tx-amarillo-ta42", "--site", "Amarillo Travel Center #42, \"lobby\"",
         "--region", "US-TX", "--timezone", "America/Chicago", "--channel", "trucking",
         "--languages", "en,es", "--server", "https://content.example.org/", "--public-key-file",
         (dir / "k.pub").string(), "--upload-url", "https://ingest.example.org/milepost/"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const fs::path file = dir.write("milepost.toml", r.out);
    RunResult check = player_check(file);
    CHECK_MESSAGE(check.exit_code == 0, check.err);
    CHECK(check.out.find("device us-tx-amarillo-ta42, site \"Amarillo Travel Center #42, "
                         "\"lobby\"\", region US-TX, time zone America/Chicago, languages 2, "
                         "channel \"trucking\"") != std::string::npos);

    // A built-in channel by name, with no server: the bus terminal's own channel.
    RunResult bus = provision({"config", "--id", "us-ok-okc-bus-1", "--site", "OKC Bus Terminal",
                               "--region", "US-OK", "--channel", "bus", "--languages", "en,es,fr"});
    REQUIRE_MESSAGE(bus.exit_code == 0, bus.err);
    CHECK(bus.err.empty());
    RunResult bus_check = player_check(dir.write("bus.toml", bus.out));
    CHECK(bus_check.out.find("channel \"bus\", built-in content only") != std::string::npos);
    // A name that is no built-in channel, with no server, is said.
    RunResult typo =
        provision({"config", "--id", "a", "--site", "x", "--region", "US", "--channel", "buss"});
    CHECK(typo.exit_code == 0);
    CHECK_MESSAGE(typo.err.find("--channel buss: not a built-in channel (truckstop, bus, "
                                "weigh-station, licensing), and with no --server the screen plays "
                                "\"truckstop\"") != std::string::npos,
                  typo.err);

    struct Bad {
        std::vector<std::string> args;
        const char* says;
    };
    for (const Bad& bad : std::vector<Bad>{
             {{"--id", "Lobby 1", "--site", "x", "--region", "US"}, "[device] id"},
             {{"--id", "a", "--site", "x", "--region", "Texas"}, "[device] region"},
             {{"--id", "a", "--site", "x", "--region", "US", "--timezone", "America/Nowhere"},
              "[device] timezone"},
             {{"--id", "a", "--site", "x", "--region", "US", "--languages", "en,English"},
              "[device] languages"},
             {{"--id", "a", "--site", "x", "--region", "US", "--server", "https://x/"},
              "--server and --public-key-file go together"},
             {{"--id", "a", "--region", "US"}, "--id, --site and --region are required"}}) {
        std::vector<std::string> args{"config"};
        args.insert(args.end(), bad.args.begin(), bad.args.end());
        RunResult b = provision(args);
        CAPTURE(bad.says);
        CHECK(b.exit_code == 2);
        CHECK_MESSAGE(b.err.find(bad.says) != std::string::npos, b.err);
        CHECK(b.out.empty());
    }
}

TEST_CASE("provision batch writes the good rows and reports each bad one by line") {
    TempDir dir;
    const fs::path base = dir.write("base.toml", "[content]\nchannel = \"trucking\"\n[logs]\n"
                                                 "upload_url = \"https://ingest.example.org/\"\n");
    const fs::path csv = dir.write("sites.csv", R"(id,site,region,timezone,channel,languages
us-tx-amarillo-ta42,"Amarillo Travel Center #42, lobby",US-TX,America/Chicago,trucking,en es
us-ok-okc-bus-1,OKC Bus Terminal,US-OK,America/Chicago,bus,en;es;fr
us-tx-amarillo-ta42,Duplicate,US-TX,America/Chicago,trucking,en
bad id,Spaces,US,America/New_York,trucking,en
ca-on-401-weigh,Weigh station,Ontario,America/Toronto,trucking,en fr
ca-on-401-dmv,DMV,CA-ON,America/Nowhere,trucking,en
us-nm-1,Gallup,US-NM,America/Denver,Trucking!,en
us-nm-2,Gallup 2,US-NM,America/Denver,trucking,english
us-nm-3,too few,US-NM
ca-qc-mtl-bus,"Gare d'autocars de Montréal",CA-QC,America/Toronto,bus,fr en
)");
    RunResult r = provision(
        {"batch", csv.string(), "--template", base.string(), "--out", (dir / "out").string()});
    CHECK(r.exit_code == 1);
    INFO(r.err);
    for (const char* line : {"sites.csv:4: id \"us-tx-amarillo-ta42\": already used on line 2",
                             "sites.csv:5: [device] id", "sites.csv:6: [device] region",
                             "sites.csv:7: [device] timezone", "sites.csv:8: [content] channel",
                             "sites.csv:9: [device] languages", "sites.csv:10: expected 6 columns"})
        CHECK_MESSAGE(r.err.find(line) != std::string::npos, line);
    CHECK(r.err.find("3 site configs written") != std::string::npos);
    std::vector<std::string> written;
    for (const auto& e : fs::directory_iterator(dir / "out"))
        written.push_back(e.path().filename().string());
    std::sort(written.begin(), written.end());
    CHECK(written == std::vector<std::string>{"ca-qc-mtl-bus.toml", "us-ok-okc-bus-1.toml",
                                              "us-tx-amarillo-ta42.toml"});
    // Each is what the player accepts, with the row's values over the template's.
    RunResult okc = player_check(dir / "out/us-ok-okc-bus-1.toml");
    CHECK(okc.exit_code == 0);
    CHECK(okc.out.find("region US-OK, time zone America/Chicago, languages 3, channel \"bus\"") !=
          std::string::npos);
    const std::string mtl = read_file(dir / "out/ca-qc-mtl-bus.toml");
    CHECK(mtl.find("Gare d'autocars de Montréal") != std::string::npos);
    CHECK(mtl.find("https://ingest.example.org/") != std::string::npos); // from the template
    CHECK(player_check(dir / "out/ca-qc-mtl-bus.toml").exit_code == 0);

    // A template with a typo is refused before any row.
    const fs::path typo = dir.write("typo.toml", "[content]\nchanel = \"trucking\"\n");
    RunResult t = provision(
        {"batch", csv.string(), "--template", typo.string(), "--out", (dir / "out2").string()});
    CHECK(t.exit_code == 1);
    CHECK(t.err.find("chanel") != std::string::npos);
}

TEST_CASE("provision write and read work on an image file without root, the Wi-Fi key unprinted") {
    TempDir dir;
    const fs::path image = make_card(dir);
    RunResult cfg = provision({"config", "--id", "screen-7", "--site", "Bus bay 7", "--region",
                               "US-TX", "--languages", "es,en"});
    REQUIRE(cfg.exit_code == 0);
    const fs::path config = dir.write("milepost.toml", cfg.out);
    const std::string psk = "correct horse battery staple";
    const fs::path psk_file = dir.write("psk", psk + "\n");
    const fs::path key =
        dir.write("id.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyForTests staff@pc\n");
    // As an unprivileged user (nobody): mtools edits the file in place, no mount.
    for (const fs::path& p : {image, config, psk_file, key, dir.path()})
        fs::permissions(p, fs::perms::all, fs::perm_options::add);
    const std::vector<std::string> as_nobody{"setpriv", "--reuid=65534", "--regid=65534",
                                             "--clear-groups", MILEPOST_PROVISION};
    auto as_user = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = as_nobody;
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    };
    RunResult w = as_user({"write", image.string(), "--config", config.string(), "--hostname",
                           "bus-bay-7", "--wifi-ssid", "Terminal Staff", "--wifi-psk-file",
                           psk_file.string(), "--ssh-key", key.string()});
    REQUIRE_MESSAGE(w.exit_code == 0, w.err);
    RunResult r = as_user({"read", image.string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out == read_file(config)); // byte for byte
    CHECK(r.err.find("hostname bus-bay-7") != std::string::npos);
    CHECK(r.err.find("Wi-Fi network \"Terminal Staff\"") != std::string::npos);
    CHECK(r.err.find("SSH on") != std::string::npos);
    for (const RunResult* out : {&w, &r}) {
        CHECK(out->out.find(psk) == std::string::npos);
        CHECK(out->err.find(psk) == std::string::npos);
    }
    // milepost-wifi.txt carries it as plain lines, for first boot to hand to nmcli
    // (tests/images_firstboot_wifi.sh takes it through first boot).
    auto wifi_file = [&] {
        return run({"mtype", "-i", image.string() + "@@" + std::to_string(8192 * 512),
                    "::milepost-wifi.txt"},
                   {}, {"MTOOLS_SKIP_CHECK=1"})
            .out;
    };
    const std::string nm = wifi_file();
    CHECK(nm.find("\npsk=" + psk + "\n") != std::string::npos);
    CHECK(nm.find("\nssid=Terminal Staff\n") != std::string::npos);

    // Writing again replaces the files.
    RunResult cfg2 =
        provision({"config", "--id", "screen-8", "--site", "Bus bay 8", "--region", "US-TX"});
    const fs::path config2 = dir.write("milepost2.toml", cfg2.out);
    fs::permissions(config2, fs::perms::all, fs::perm_options::add);
    REQUIRE(as_user({"write", image.string(), "--config", config2.string()}).exit_code == 0);
    CHECK(provision({"read", image.string()}).out == cfg2.out);

    // Refusals: a config the player would not take, a short passphrase, no image.
    const fs::path bad = dir.write("bad.toml", "[device]\nregion = \"Texas\"\n");
    RunResult b = provision({"write", image.string(), "--config", bad.string()});
    CHECK(b.exit_code == 2);
    CHECK(b.err.find("[device] region") != std::string::npos);
    const fs::path short_psk = dir.write("short", "abc\n");
    RunResult s = provision({"write", image.string(), "--config", config.string(), "--wifi-ssid",
                             "X", "--wifi-psk-file", short_psk.string()});
    CHECK(s.exit_code == 2);
    CHECK(s.err.find("abc") == std::string::npos);
    // A control character cannot ride in the file's one line; spaces, \ and UTF-8 can.
    const fs::path tab_psk = dir.write("tab", "tabbed\tsecret9\n");
    RunResult t = provision({"write", image.string(), "--config", config.string(), "--wifi-ssid",
                             "X", "--wifi-psk-file", tab_psk.string()});
    CHECK(t.exit_code == 2);
    CHECK(t.err.find("secret9") == std::string::npos);
    const fs::path odd_psk = dir.write("odd", " p\\ss;w\xc3\xb6rd #1 \n");
    RunResult o = provision({"write", image.string(), "--config", config.string(), "--wifi-ssid",
                             "X", "--wifi-psk-file", odd_psk.string()});
    CHECK_MESSAGE(o.exit_code == 0, o.err);
    CHECK(wifi_file().find("\npsk= p\\ss;w\xc3\xb6rd #1 \n") != std::string::npos);
    const fs::path not_image = dir.write("notes.txt", "not a disk image\n");
    RunResult n = provision({"read", not_image.string()});
    CHECK(n.exit_code == 1);
    CHECK(n.err.find("no partition table") != std::string::npos);
    const fs::path blank = make_card(dir, "blank.img");
    RunResult e = provision({"read", blank.string()});
    CHECK(e.exit_code == 1);
    CHECK(e.err.find("no milepost.toml") != std::string::npos);
}
