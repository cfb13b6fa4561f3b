// milepost-pack for real: keys both ways with Debian's minisign, builds, refusals,
// tampering, incremental rebuilds, the contact sheet read by OCR, and the player
// playing what was built.
#include "PlayerRun.hpp"
#include "Trace.hpp"
#include "core/Manifest.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>

using namespace milepost;
using namespace milepost::test;
namespace fs = std::filesystem;

namespace {

RunResult pack(const std::vector<std::string>& args, const fs::path& cwd = {}) {
    std::vector<std::string> argv{MILEPOST_PACK};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, cwd);
}

// Every file under `dir` with its content: to see that nothing changed.
std::map<std::string, std::string> snapshot_tree(const fs::path& dir) {
    std::map<std::string, std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         it != fs::recursive_directory_iterator(); ++it)
        if (it->is_regular_file())
            out[it->path().lexically_relative(dir).string()] = read_file(it->path());
    return out;
}

// A source folder with a slide, an image and a video.
fs::path make_source(const TempDir& dir, const std::string& extra = "") {
    fs::create_directories(dir / "src/media");
    fs::copy_file(
        make_media("pack-clip.mp4", {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t",
                                     "1", "-c:v", "libx264", "-pix_fmt", "yuv420p"}),
        dir / "src/media/clip.mp4", fs::copy_options::overwrite_existing);
    fs::copy_file(make_media("pack-logo.png",
                             {"-f", "lavfi", "-i", "color=c=0x2050c0:s=400x200", "-frames:v", "1"}),
                  dir / "src/media/logo.png", fs::copy_options::overwrite_existing);
    return dir.write("src/channel.toml",
                     channel_header("trucking", "Trucking") +
                         us_hotline_toml("url = \"https://humantraffickinghotline.org\"\n") + R"(
[[item]]
id = "lot-en"
type = "slide"
lang = "en"
title = "Signs to watch for on the lot"
bullets = ["Someone going from truck to truck", "A person who cannot speak for themselves"]
duration = 2
[[item]]
id = "logo"
type = "image"
file = "media/logo.png"
duration = 1
[[item]]
id = "clip"
type = "video"
file = "media/clip.mp4"
)" + extra);
}

struct Keys {
    fs::path secret, pub;
    std::string line; // the public key's base64 line
};

Keys keygen(const TempDir& dir) {
    Keys k{dir / "keys/pack.key", dir / "keys/pack.pub", ""};
    fs::create_directories(dir / "keys");
    RunResult r =
        pack({"keygen", "--secret-key", k.secret.string(), "--public-key", k.pub.string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::istringstream pub(read_file(k.pub));
    std::getline(pub, k.line);
    std::getline(pub, k.line);
    return k;
}

// milepost-pack build SOURCE --secret-key KEY --out SITE EXTRA...
RunResult pack_build(const fs::path& source, const Keys& keys, const fs::path& site,
                     const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"build", source.string(), "--secret-key", keys.secret.string(),
                                  "--out", site.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return pack(args);
}

// A SITE built from make_source's channel with a new key, for the tests that build
// or play over it.
struct BuiltSite {
    TempDir dir;
    Keys keys = keygen(dir);
    fs::path source = make_source(dir);
    fs::path site = dir / "site";

    BuiltSite() {
        RunResult r = pack_build(source, keys, site);
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    // The object (sha256) of trucking's item `id`, as its manifest names it.
    std::string object_of(const std::string& id) const {
        auto manifest = nlohmann::json::parse(read_file(site / "channels/trucking/manifest.json"));
        for (const auto& item : manifest["items"])
            if (item["id"] == id)
                return item["object"];
        return {};
    }
    // Builds `channel` (a channel.toml) into the SITE.
    RunResult build(const fs::path& channel, const std::vector<std::string>& extra = {}) const {
        return pack_build(channel, keys, site, extra);
    }
};

} // namespace

TEST_CASE("keygen, build and verify, and Debian's minisign accepts the signature") {
    TempDir dir;
    Keys keys = keygen(dir);
    CHECK((fs::status(keys.secret).permissions() & fs::perms::others_read) == fs::perms::none);
    fs::path source = make_source(dir);
    RunResult b = pack_build(source, keys, dir / "site");
    REQUIRE_MESSAGE(b.exit_code == 0, b.err);
    CHECK(b.out.find("sequence 1, 3 items, 2 new objects") != std::string::npos);
    const fs::path manifest = dir / "site/channels/trucking/manifest.json";
    RunResult m = run({"minisign", "-Vm", manifest.string(), "-p", keys.pub.string()});
    CHECK_MESSAGE(m.exit_code == 0, m.out, m.err);
    CHECK(m.out.find("sequence:1") != std::string::npos); // the trusted comment

    Channel c = parse_manifest(read_file(manifest), dir / "site/objects", "manifest.json");
    CHECK(c.sequence == 1);
    REQUIRE(c.items.size() == 3);
    CHECK(c.items[1].media.codec == "png");
    CHECK(c.items[1].media.width == 400);
    CHECK(c.items[2].media.codec == "h264");
    CHECK(c.items[2].media.duration == doctest::Approx(1.0).epsilon(0.1));
    CHECK(c.items[2].media.fps == doctest::Approx(25));
    CHECK(fs::file_size(c.items[2].file) == c.items[2].media.size);

    RunResult v = pack({"verify", (dir / "site").string(), "--public-key", keys.pub.string()});
    CHECK_MESSAGE(v.exit_code == 0, v.err);
    CHECK(v.out.find("ok") != std::string::npos);
}

TEST_CASE("keys made by minisign -G sign channels, and password-protected keys get a clear error") {
    TempDir dir;
    const fs::path key = dir / "mini.key", pub = dir / "mini.pub";
    RunResult g = run({"minisign", "-G", "-W", "-p", pub.string(), "-s", key.string()});
    REQUIRE_MESSAGE(g.exit_code == 0, g.err);
    fs::path source = make_source(dir);
    RunResult b = pack(
        {"build", source.string(), "--secret-key", key.string(), "--out", (dir / "site").string()});
    REQUIRE_MESSAGE(b.exit_code == 0, b.err);
    CHECK(pack({"verify", (dir / "site").string(), "--public-key", pub.string()}).exit_code == 0);
    CHECK(run({"minisign", "-Vm", (dir / "site/channels/trucking/manifest.json").string(), "-p",
               pub.string()})
              .exit_code == 0);

    // The same key as minisign stores it with a password: its second and third bytes say "Sc".
    std::istringstream in(read_file(key));
    std::string comment, line;
    std::getline(in, comment);
    std::getline(in, line);
    REQUIRE(line.substr(0, 8) == "RWQAAEIy"); // "Ed", "\0\0" (no password), "B2"
    dir.write("locked.key", comment + "\nRWRTY0Iy" + line.substr(8) + "\n");
    RunResult locked = pack({"build", source.string(), "--secret-key",
                             (dir / "locked.key").string(), "--out", (dir / "site2").string()});
    CHECK(locked.exit_code == 2);
    CHECK_MESSAGE(locked.err.find("protected by a password: decrypt it with minisign") !=
                      std::string::npos,
                  locked.err);
    CHECK(!fs::exists(dir / "site2"));
}

TEST_CASE_FIXTURE(BuiltSite, "verify names a changed object, a changed manifest and a wrong key") {
    const fs::path manifest = dir / "site/channels/trucking/manifest.json";
    Channel c = parse_manifest(read_file(manifest), dir / "site/objects", "m");
    const fs::path clip = c.items[2].file;

    // One byte of the video changed.
    {
        std::string bytes = read_file(clip);
        bytes[bytes.size() / 2] ^= 0x01;
        std::ofstream(clip, std::ios::binary) << bytes;
    }
    RunResult v = pack({"verify", (dir / "site").string(), "--public-key", keys.pub.string()});
    CHECK(v.exit_code == 1);
    CHECK_MESSAGE(v.err.find("item \"clip\": object " + clip.string() +
                             ": its SHA-256 does not match") != std::string::npos,
                  v.err);
    CHECK(v.out.find("FAULTY") != std::string::npos);

    // One byte of the manifest changed.
    std::string text = read_file(manifest);
    text[text.find("Signs to watch")] = 's';
    std::ofstream(manifest, std::ios::binary) << text;
    v = pack({"verify", (dir / "site").string(), "--public-key", keys.pub.string()});
    CHECK(v.exit_code == 1);
    CHECK(v.err.find("the signature does not match the file") != std::string::npos);
    CHECK(run({"minisign", "-Vm", manifest.string(), "-p", keys.pub.string()}).exit_code != 0);

    // Another key.
    TempDir other;
    Keys stranger = keygen(other);
    v = pack({"verify", (dir / "site").string(), "--public-key", stranger.pub.string()});
    CHECK(v.exit_code == 1);
    CHECK(v.err.find("signed with another key") != std::string::npos);
}

TEST_CASE_FIXTURE(BuiltSite, "build refuses what a screen could not play, naming the item and "
                             "what the file is, and leaves the SITE as it was") {
    const auto before = snapshot_tree(site);

    struct Case {
        std::string extra;
        int exit_code;
        std::string message;
    };
    const fs::path media = dir / "src/media";
    dir.write("src/media/fake.mp4", "This is text, not a video.\n");
    std::ofstream(media / "empty.mp4").close();
    fs::create_symlink(dir / "keys/pack.key", media / "link.mp4");
    // Playlists, concat scripts and media too large to decode.
    make_hls(media, "list.m3u8");
    fs::copy_file(media / "list.m3u8", media / "list.mp4"); // a playlist named as a video
    dir.write("src/media/concat.mp4", "ffconcat version 1.0\nfile 'clip.mp4'\nfile 'clip.mp4'\n");
    fs::copy_file(bomb_png(), media / "bomb.png");
    fs::copy_file(bomb_png(), media / "bomb.mp4");
    fs::copy_file(make_media("wide-5000.png",
                             {"-f", "lavfi", "-i", "color=c=red:s=5000x100", "-frames:v", "1"}),
                  media / "wide.png");
    fs::copy_file(
        make_media("dci-4096x2160.mp4",
                   {"-f", "lavfi", "-i", "testsrc2=size=4096x2160:rate=25", "-frames:v", "2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}),
        media / "dci.mp4");
    // Two frames 90,000 s apart: a video longer than the day an item may last.
    fs::copy_file(make_media("day-long.mkv", {"-f", "lavfi", "-i", "color=c=red:s=64x64:r=1:d=2",
                                              "-vf", "setpts=N*90000/TB", "-fps_mode",
                                              "passthrough", "-c:v", "libx264", "-an"}),
                  media / "day-long.mkv");
    // The whole message: the item, the file and what is wrong with it.
    auto refused = [&](const std::string& id, const std::string& type, const std::string& file,
                       const std::string& message) {
        return Case{file_item(id, type, "media/" + file), 1,
                    "item \"" + id + "\": " + (media / file).string() + ": " + message};
    };
    const std::vector<Case> cases = {
        {"[[item]]\nid = \"fake\"\ntype = \"video\"\nfile = \"media/fake.mp4\"\n", 1,
         "item \"fake\": " + (dir / "src/media/fake.mp4").string() + ": cannot be read as media"},
        {"[[item]]\nid = \"empty\"\ntype = \"video\"\nfile = \"media/empty.mp4\"\n", 1,
         "item \"empty\": "},
        {"[[item]]\nid = \"png-as-video\"\ntype = \"video\"\nfile = \"media/logo.png\"\n", 1,
         "a still picture: make it an image item"},
        {"[[item]]\nid = \"video-as-image\"\ntype = \"image\"\nfile = \"media/clip.mp4\"\n", 1,
         "an image item must be PNG or JPEG"},
        {"[[item]]\nid = \"out\"\ntype = \"video\"\nfile = \"../keys/pack.key\"\n", 2,
         "leaves the channel folder"},
        {"[[item]]\nid = \"link\"\ntype = \"video\"\nfile = \"media/link.mp4\"\n", 2,
         "leaves the channel folder"},
        {"[[item]]\nid = \"Bad Id\"\ntype = \"slide\"\ntitle = \"x\"\n", 2,
         "id: expected 1 to 128 characters"},
        {"[[item]]\nid = \"lot-en\"\ntype = \"slide\"\ntitle = \"x\"\n", 2,
         "id: duplicate of an earlier item"},
        {"[[item]]\nid = \"web\"\ntype = \"webpage\"\n", 2,
         "type: expected \"slide\", \"video\" or \"image\""},
        refused("hls", "video", "list.mp4",
                "it is an HLS playlist (hls), not a video container Milepost plays"),
        refused("hls-named", "video", "list.m3u8",
                "it is an HLS playlist (hls), not a video container Milepost plays"),
        refused("concat", "video", "concat.mp4",
                "it is an FFmpeg concat script (concat), not a video container Milepost plays"),
        refused("bomb", "image", "bomb.png",
                "the picture is 16000x16000 px, over the 4096 px on a side a screen decodes"),
        refused("bomb-as-video", "video", "bomb.mp4", "a still picture: make it an image item"),
        refused("day-long", "video", "day-long.mkv",
                "it runs 90001 s, over the 86400 s (a day) an item may last: cut it shorter"),
        refused("wide", "image", "wide.png",
                "the picture is 5000x100 px, over the 4096 px on a side a screen decodes"),
        refused("dci", "video", "dci.mp4",
                "the video is 4096x2160 px, larger than the 3840x2160 px (landscape or "
                "portrait) a screen decodes"),
    };
    for (const Case& c : cases) {
        fs::path bad = make_source(dir, c.extra);
        RunResult r = build(bad);
        CHECK_MESSAGE(r.exit_code == c.exit_code, c.extra, r.err);
        CHECK_MESSAGE(r.err.find(c.message) != std::string::npos, c.extra, " -> ", r.err);
        CHECK_MESSAGE(snapshot_tree(site) == before, "the SITE changed after: ", c.extra);
    }

    // A manifest over 4 MiB.
    std::string many;
    const std::string bullet(1000, 'x');
    for (int i = 0; i < 1100; ++i)
        many += "[[item]]\nid = \"s" + std::to_string(i) +
                "\"\ntype = \"slide\"\ntitle = \"t\"\nbullets = [\"" + bullet + "\", \"" + bullet +
                "\", \"" + bullet + "\", \"" + bullet + "\"]\n";
    fs::path huge = make_source(dir, many);
    RunResult r = build(huge);
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(r.err.find("over the 4 MiB screens accept") != std::string::npos, r.err);
    CHECK(snapshot_tree(site) == before);

    // A lower sequence.
    fs::path good = make_source(dir);
    r = build(good, {"--sequence", "1"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("not above the published sequence 1") != std::string::npos);
    CHECK(snapshot_tree(site) == before);

    // Within the limits, both ways round: a portrait UHD video and a 4096-px picture.
    fs::copy_file(
        make_media("uhd-portrait.mp4",
                   {"-f", "lavfi", "-i", "testsrc2=size=2160x3840:rate=25", "-frames:v", "2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}),
        media / "portrait.mp4");
    fs::copy_file(make_media("square-4096.png",
                             {"-f", "lavfi", "-i", "color=c=blue:s=4096x4096", "-frames:v", "1"}),
                  media / "square.png");
    RunResult ok = build(make_source(dir, file_item("portrait", "video", "media/portrait.mp4") +
                                              file_item("square", "image", "media/square.png")));
    CHECK_MESSAGE(ok.exit_code == 0, ok.err);
}

TEST_CASE_FIXTURE(BuiltSite, "rebuilding writes only new objects and counts the sequence up") {
    std::map<std::string, fs::file_time_type> times;
    for (const auto& e : fs::directory_iterator(site / "objects"))
        times[e.path().filename().string()] = e.last_write_time();
    RunResult again = build(source);
    REQUIRE(again.exit_code == 0);
    CHECK_MESSAGE(again.out.find("sequence 2, 3 items, 0 new objects") != std::string::npos,
                  again.out);
    for (const auto& e : fs::directory_iterator(site / "objects"))
        CHECK(times.at(e.path().filename().string()) == e.last_write_time());

    fs::copy_file(
        make_media("pack-other.mp4", {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t",
                                      "2", "-c:v", "libx264", "-pix_fmt", "yuv420p"}),
        dir / "src/media/other.mp4");
    fs::path more = make_source(dir, file_item("other", "video", "media/other.mp4"));
    RunResult third = build(more, {"--sequence", "10"});
    REQUIRE(third.exit_code == 0);
    CHECK_MESSAGE(third.out.find("sequence 10, 4 items, 1 new objects") != std::string::npos,
                  third.out);
}

TEST_CASE_FIXTURE(BuiltSite, "build carries a signed RAUC bundle as the channel's system update, "
                             "verify checks it, and what is no bundle is refused") {
    const fs::path bundle = make_rauc_bundle(dir, "0.2.0", "milepost-rpi-arm64");
    RunResult b = build(source, {"--system-bundle", bundle.string()});
    REQUIRE_MESSAGE(b.exit_code == 0, b.err);
    CHECK_MESSAGE(b.out.find("sequence 2, 3 items, system 0.2.0 (milepost-rpi-arm64), 1 new "
                             "objects") != std::string::npos,
                  b.out);
    const fs::path manifest = site / "channels/trucking/manifest.json";
    Channel c = parse_manifest(read_file(manifest), site / "objects", "m");
    REQUIRE(c.system);
    CHECK(c.system->version == "0.2.0");
    CHECK(c.system->compatible == "milepost-rpi-arm64");
    CHECK(!c.system->downgrade);
    CHECK(c.system->size == fs::file_size(bundle));
    CHECK(read_file(c.system->file) == read_file(bundle));
    CHECK(run({"sha256sum", bundle.string()}).out.substr(0, 64) == c.system->object);
    // As published, the bundle's RAUC signature holds for the signer's certificate.
    RunResult info = run({"rauc", "--keyring=" + (dir / "rauc/signer.cert.pem").string(), "info",
                          c.system->file.string()});
    CHECK_MESSAGE(info.exit_code == 0, info.err);
    RunResult v = pack({"verify", site.string(), "--public-key", keys.pub.string()});
    CHECK_MESSAGE(v.exit_code == 0, v.err);
    CHECK_MESSAGE(v.out.find("3 items, system 0.2.0 (milepost-rpi-arm64): ok") != std::string::npos,
                  v.out);

    // A file that is no bundle, and --allow-downgrade alone: refused, SITE as it was.
    const auto before = snapshot_tree(site);
    const fs::path fake = dir.write("not-a-bundle.raucb", "just text\n");
    RunResult bad = build(source, {"--system-bundle", fake.string()});
    CHECK(bad.exit_code == 1);
    CHECK_MESSAGE(bad.err.find("--system-bundle " + fake.string() +
                               ": rauc cannot read it as a RAUC bundle") != std::string::npos,
                  bad.err);
    RunResult missing = build(source, {"--system-bundle", (dir / "nowhere.raucb").string()});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("nowhere.raucb: not a file") != std::string::npos);
    CHECK(build(source, {"--allow-downgrade"}).exit_code == 2);
    CHECK(snapshot_tree(site) == before);

    // The publisher's explicit way back: "downgrade": true in the signed manifest.
    const fs::path older = make_rauc_bundle(dir, "0.1.5", "milepost-rpi-arm64");
    RunResult back = build(source, {"--system-bundle", older.string(), "--allow-downgrade"});
    REQUIRE_MESSAGE(back.exit_code == 0, back.err);
    c = parse_manifest(read_file(manifest), site / "objects", "m");
    REQUIRE(c.system);
    CHECK(c.system->version == "0.1.5");
    CHECK(c.system->downgrade);

    // One byte of the published bundle changed: verify names it.
    {
        std::string bytes = read_file(c.system->file);
        bytes[bytes.size() / 2] ^= 0x01;
        std::ofstream(c.system->file, std::ios::binary) << bytes;
    }
    v = pack({"verify", site.string(), "--public-key", keys.pub.string()});
    CHECK(v.exit_code == 1);
    CHECK_MESSAGE(v.err.find("system 0.1.5: object " + c.system->file.string() +
                             ": its SHA-256 does not match") != std::string::npos,
                  v.err);
}

TEST_CASE("build bounds the sequence: below 2^53, and no leap over 1,000,000 without --force") {
    TempDir dir;
    Keys keys = keygen(dir);
    const fs::path source = make_source(dir);
    const fs::path site = dir / "site";
    auto build = [&](const std::vector<std::string>& extra) {
        return pack_build(source, keys, site, extra);
    };
    auto published = [&] {
        return parse_manifest(read_file(site / "channels/trucking/manifest.json"), {}, "m")
            .sequence;
    };
    // A new SITE: the start counts as 0.
    RunResult r = build({"--sequence", "1000001"});
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(r.err.find("more than 1000000 above the start") != std::string::npos, r.err);
    CHECK(!fs::exists(site / "channels/trucking/manifest.json"));
    REQUIRE(build({"--sequence", "7"}).exit_code == 0);
    const auto before = snapshot_tree(site);

    r = build({"--sequence", "1000008"});
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(r.err.find("--sequence 1000008 is more than 1000000 above the published "
                             "sequence 7") != std::string::npos,
                  r.err);
    CHECK(r.err.find("--force") != std::string::npos);
    CHECK(snapshot_tree(site) == before);
    // Over the bound, with or without --force: bad usage.
    for (const char* n :
         {"9007199254740992", "9223372036854775807", "99999999999999999999", "-3", "0", "1e6"}) {
        r = build({"--sequence", n, "--force"});
        CHECK_MESSAGE(r.exit_code == 2, n);
        CHECK(r.err.find("--sequence: expected a whole number from 1 to 9007199254740991") !=
              std::string::npos);
    }
    CHECK(snapshot_tree(site) == before);
    CHECK(build({"--force=yes"}).exit_code == 2);

    REQUIRE(build({"--sequence", "1000007"}).exit_code == 0); // exactly 1,000,000 up
    CHECK(published() == 1000007);
    // --force allows a leap, up to the highest sequence there is; past it, nothing.
    r = build({"--sequence", "9007199254740991", "--force"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(published() == kMaxSequence);
    r = build({});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("is the highest there is") != std::string::npos);
    CHECK(published() == kMaxSequence);
}

TEST_CASE("preview draws every item as the screen shows it, labelled") {
    TempDir dir;
    Keys keys = keygen(dir);
    fs::path source = make_source(dir);
    RunResult p = pack(
        {"preview", source.string(), "--out", (dir / "sheet.png").string(), "--size", "1280x720"});
    REQUIRE_MESSAGE(p.exit_code == 0, p.err);
    Picture sheet = load_picture(dir / "sheet.png");
    CHECK(sheet.width == 4 * (480 + 24) + 24);
    const std::string text = squeeze(ocr(dir / "sheet.png"));
    for (const char* word : {"lot-en", "logo", "clip", "Signs to watch", "video"})
        CHECK_MESSAGE(text.find(word) != std::string::npos, word, " not in: ", text);

    // The same from the built SITE.
    REQUIRE(pack_build(source, keys, dir / "site").exit_code == 0);
    RunResult s = pack({"preview", (dir / "site").string(), "--channel", "trucking", "--out",
                        (dir / "site-sheet.png").string()});
    REQUIRE_MESSAGE(s.exit_code == 0, s.err);
    CHECK(squeeze(ocr(dir / "site-sheet.png")).find("lot-en") != std::string::npos);
}

TEST_CASE("the player plays the built channel, and only when the signature holds") {
    TempDir dir;
    Keys keys = keygen(dir);
    // A JPEG too, after the video: its codec in the manifest is "mjpeg".
    fs::path source =
        make_source(dir, file_item("photo", "image", "media/photo.jpg") + "duration = 1\n");
    fs::copy_file(make_media("pack-photo.jpg",
                             {"-f", "lavfi", "-i", "color=c=0xc05020:s=400x200", "-frames:v", "1"}),
                  dir / "src/media/photo.jpg");
    REQUIRE(pack_build(source, keys, dir / "site").exit_code == 0);
    Channel built = parse_manifest(read_file(dir / "site/channels/trucking/manifest.json"),
                                   dir / "site/objects", "manifest.json");
    REQUIRE(built.items.size() == 4);
    CHECK(built.items[3].media.codec == "mjpeg");
    const std::string config = "[content]\npublic_key = \"" + keys.line + "\"\n";
    RunResult r = run_player(dir, config,
                             {"--content", (dir / "site/channels/trucking").string(), "--snapshot",
                              "1:a.png", "--exit-after", "5.5", "--trace", "t.ndjson"},
                             "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(squeeze(ocr(dir / "a.png")).find("Signs to watch for on the lot") != std::string::npos);
    const std::string trace = read_file(dir / "t.ndjson");
    for (const char* id : {"lot-en", "logo", "clip", "photo"})
        CHECK_MESSAGE(
            trace.find(std::string("\"item_start\",\"item\":\"") + id) != std::string::npos, id);
    CHECK(trace.find("\"error\"") == std::string::npos);

    // Another key: refused.
    TempDir other;
    Keys stranger = keygen(other);
    RunResult wrong = run_player(
        dir, "[content]\npublic_key = \"" + stranger.line + "\"\n",
        {"--content", (dir / "site/channels/trucking").string(), "--exit-after", "1"}, "320x180");
    CHECK(wrong.exit_code == 2);
    CHECK(wrong.err.find("signed with another key") != std::string::npos);

    // The data dir's active channel, as milepost-sync will leave it.
    const fs::path data = dir / "data";
    fs::create_directories(data / "channels");
    fs::create_directory_symlink(dir / "site/objects", data / "objects");
    fs::copy(dir / "site/channels/trucking", data / "channels/1-trucking");
    fs::create_directory_symlink("channels/1-trucking", data / "active");
    RunResult active =
        run_player(dir, config, {"--snapshot", "1:b.png", "--exit-after", "1.2"}, "1280x720");
    REQUIRE_MESSAGE(active.exit_code == 0, active.err);
    CHECK(squeeze(ocr(dir / "b.png")).find("Signs to watch for on the lot") != std::string::npos);

    // A broken active channel: the built-in one plays, never a black screen.
    std::ofstream(data / "channels/1-trucking/manifest.json", std::ios::app) << " ";
    RunResult broken =
        run_player(dir, config, {"--snapshot", "1:c.png", "--exit-after", "1.2"}, "1280x720");
    CHECK(broken.exit_code == 0);
    CHECK(broken.err.find("playing the built-in channel") != std::string::npos);
    CHECK(squeeze(ocr(dir / "c.png")).find("1-888-373-7888") != std::string::npos);
}

TEST_CASE("the built-in channel is built and signed into the build tree, and plays from there") {
    RunResult v = pack({"verify", MILEPOST_DEMO_SITE, "--public-key", MILEPOST_DEMO_PUB});
    CHECK_MESSAGE(v.exit_code == 0, v.err);
    std::istringstream pub(read_file(MILEPOST_DEMO_PUB));
    std::string line;
    std::getline(pub, line);
    std::getline(pub, line);
    TempDir dir;
    RunResult r = run_player(dir, "[content]\npublic_key = \"" + line + "\"\n",
                             {"--content", std::string(MILEPOST_DEMO_SITE) + "/channels/truckstop",
                              "--snapshot", "1:a.png", "--exit-after", "1.2"},
                             "1280x720");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("signature not checked") == std::string::npos);
    // It begins with the demo's captioned video (FFmpeg's test source, moving
    // colours): its first cue above the banner, the hotline in the banner.
    Picture shot = load_picture(dir / "a.png");
    shot.crop(0, 600, 1280, 120).save(dir / "banner.png");
    CHECK(squeeze(ocr(dir / "banner.png")).find("1-888-373-7888") != std::string::npos);
    shot.crop(0, 440, 1280, 170).save(dir / "caption.png");
    const std::string caption = squeeze(ocr(dir / "caption.png"));
    CHECK_MESSAGE(caption.find("see what others miss") != std::string::npos, caption);
}

TEST_CASE_FIXTURE(BuiltSite, "a picture that failed is not loaded again after a restart, and a new "
                             "sequence tries it again") {
    // The logo's object replaced by a decompression bomb (as a rewritten object
    // on the card would be): the manifest still says 400x200.
    const std::string logo = object_of("logo");
    REQUIRE(logo.size() == 64);
    fs::copy_file(bomb_png(), site / "objects" / logo, fs::copy_options::overwrite_existing);

    const std::string config = "[content]\npublic_key = \"" + keys.line + "\"\n";
    auto play = [&](const std::string& trace) {
        return run_player(dir, config,
                          {"--content", (site / "channels/trucking").string(), "--exit-after", "4",
                           "--trace", trace},
                          "640x360");
    };
    RunResult first = play("t1.ndjson");
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    std::map<std::string, std::vector<double>> errors;
    auto all = plays(read_trace(dir / "t1.ndjson"), &errors);
    REQUIRE_MESSAGE(errors.count("logo"), first.err);
    CHECK_MESSAGE(first.err.find("16000x16000 px, over the 4096 px") != std::string::npos,
                  first.err);
    // Skipped at its turn (after the 2 s slide), and the video after it plays.
    CHECK(errors["logo"].front() < 2.0 + 1.0);
    CHECK(std::any_of(all.begin(), all.end(), [](const Play& p) { return p.item == "clip"; }));
    const std::string remembered = read_file(dir / "data/failed-objects");
    CHECK_MESSAGE(remembered.find(logo + "\t1\t") == 0, remembered);
    CHECK_MESSAGE(std::count(remembered.begin(), remembered.end(), '\n') == 1, remembered);

    // Restarted: the object is left out without being opened.
    RunResult second = play("t2.ndjson");
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    std::map<std::string, std::vector<double>> again;
    auto all2 = plays(read_trace(dir / "t2.ndjson"), &again);
    CHECK_MESSAGE(again.count("logo") == 0, second.err);
    CHECK(std::none_of(all2.begin(), all2.end(), [](const Play& p) { return p.item == "logo"; }));
    CHECK(std::any_of(all2.begin(), all2.end(), [](const Play& p) { return p.item == "clip"; }));
    CHECK_MESSAGE(second.err.find("item \"logo\": its file failed before") != std::string::npos,
                  second.err);
    CHECK(second.err.find("; skipped, and left out of the plan for an hour") == std::string::npos);

    // A new publication (sequence 2) gives it one more try: it fails again.
    REQUIRE(build(source).exit_code == 0);
    fs::copy_file(bomb_png(), site / "objects" / logo, fs::copy_options::overwrite_existing);
    RunResult third = play("t3.ndjson");
    REQUIRE_MESSAGE(third.exit_code == 0, third.err);
    std::map<std::string, std::vector<double>> third_errors;
    plays(read_trace(dir / "t3.ndjson"), &third_errors);
    CHECK_MESSAGE(third_errors.count("logo") == 1, third.err);
}

TEST_CASE_FIXTURE(BuiltSite, "a packaged video that stalled once is not remembered as failed and "
                             "is tried again after a restart") {
    // A tired SD card can hold a good file's read up for a second: skipped at its
    // turn, the video must not lose its airtime for an hour, nor after a restart.
    // The clip's object is a FIFO nobody writes to: no picture, ever.
    const std::string clip = object_of("clip");
    REQUIRE(clip.size() == 64);
    fs::remove(site / "objects" / clip);
    REQUIRE(mkfifo((site / "objects" / clip).c_str(), 0600) == 0);

    const std::string config = "[content]\npublic_key = \"" + keys.line + "\"\n";
    const fs::path remembered = dir / "data/failed-objects";
    // The slide (2 s) and the logo (1 s), then the clip's turn at 3 s: stalled at 3.75.
    for (int run = 1; run <= 2; ++run) { // the second after a restart
        CAPTURE(run);
        const std::string trace = "t" + std::to_string(run) + ".ndjson";
        RunResult r = run_player(dir, config,
                                 {"--content", (site / "channels/trucking").string(),
                                  "--exit-after", "5.5", "--trace", trace},
                                 "640x360");
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        std::map<std::string, std::vector<double>> errors;
        plays(read_trace(dir / trace), &errors);
        REQUIRE_MESSAGE(errors.count("clip"), r.err);
        CHECK(errors["clip"].size() == 1);
        CHECK_MESSAGE(r.err.find("stalled; skipped, and tried again at its next turn") !=
                          std::string::npos,
                      r.err);
        CHECK(r.err.find("its file failed before") == std::string::npos);
        const std::string kept = fs::exists(remembered) ? read_file(remembered) : "";
        CHECK_MESSAGE(kept.find(clip) == std::string::npos, kept);
    }
}

namespace {

// A 4-second video for the caption tests, made once.
fs::path caption_test_video() {
    return make_media("pack-captions-4s.mp4",
                      {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-c:v",
                       "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"});
}

// A 2-second video with one mov_text stream tagged `lang` (ISO 639-2), made once.
fs::path tagged_caption_video(const TempDir& dir, const std::string& lang) {
    const fs::path srt =
        dir.write("tagged.srt", "1\n00:00:00,300 --> 00:00:01,200\n<i>Watch</i> the lot\n\n2\n"
                                "00:00:01,200 --> 00:00:01,900\nCall the hotline\n");
    return make_media("pack-captions-tagged-" + lang + ".mp4",
                      {"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-i",
                       srt.string(), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                       "yuv420p", "-c:s", "mov_text", "-metadata:s:s:0", "language=" + lang});
}

} // namespace

TEST_CASE("build publishes caption files per language as WebVTT objects, and verify checks them") {
    TempDir dir;
    Keys keys = keygen(dir);
    fs::create_directories(dir / "src/media");
    fs::copy_file(caption_test_video(), dir / "src/media/signs.mp4");
    dir.write("src/media/signs.en.vtt",
              "WEBVTT\n\n00:00:00.500 --> 00:00:01.500 align:start\n<v Narrator>Watch for "
              "<i>signs</i>\n\n00:00:02.000 --> 00:00:03.500\nCall 1-888-373-7888\n");
    dir.write("src/media/signs.es.srt", "1\r\n00:00:00,500 --> 00:00:01,500\r\n<i>¿Ves algo "
                                        "raro?</i>\r\n\r\n2\r\n00:00:02,000 --> "
                                        "00:00:03,500\r\n{\\an8}Llama « ya »\r\n");
    dir.write("src/media/signs.fr.vtt",
              "WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nÇa coûte très cher ? Non : appelez.\n");
    const fs::path source =
        dir.write("src/channel.toml", channel_header("trucking") + us_hotline_toml("") + R"(
[[item]]
id = "signs"
type = "video"
file = "media/signs.mp4"
lang = "en"
captions = { en = "media/signs.en.vtt", es = "media/signs.es.srt", fr = "media/signs.fr.vtt" }
[[item]]
id = "lot-es"
type = "slide"
lang = "es"
title = "Señales en el estacionamiento"
[[item]]
id = "lot-fr"
type = "slide"
lang = "fr"
title = "Signes sur le parking"
)");
    const fs::path site = dir / "site";
    RunResult b = pack_build(source, keys, site);
    REQUIRE_MESSAGE(b.exit_code == 0, b.err);
    CHECK_MESSAGE(b.out.find("3 items, 4 new objects") != std::string::npos, b.out);

    // The manifest lists them per language, with object and size.
    const std::string text = read_file(site / "channels/trucking/manifest.json");
    const auto json = nlohmann::json::parse(text);
    const auto& listed = json["items"][0]["captions"];
    REQUIRE(listed.is_object());
    CHECK(listed.size() == 3);
    for (const char* lang : {"en", "es", "fr"}) {
        REQUIRE_MESSAGE(listed.contains(lang), lang);
        const std::string object = listed[lang]["object"];
        CHECK(object.size() == 64);
        CHECK(fs::file_size(site / "objects" / object) ==
              listed[lang]["size"].get<std::uint64_t>());
    }
    Channel c = parse_manifest(text, site / "objects", "manifest.json");
    REQUIRE(c.items[0].captions.size() == 3);
    // The objects hold WebVTT, markup gone; the SubRip file is stored as WebVTT.
    CHECK(read_file(c.items[0].captions[0].file) ==
          "WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nWatch for signs\n\n"
          "00:00:02.000 --> 00:00:03.500\nCall 1-888-373-7888\n");
    CHECK(read_file(c.items[0].captions[1].file) ==
          "WEBVTT\n\n00:00:00.500 --> 00:00:01.500\n¿Ves algo raro?\n\n"
          "00:00:02.000 --> 00:00:03.500\nLlama « ya »\n");
    CHECK(read_file(c.items[0].captions[2].file) ==
          "WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nÇa coûte très cher ? Non : appelez.\n");
    CHECK(run({"minisign", "-Vm", (site / "channels/trucking/manifest.json").string(), "-p",
               keys.pub.string()})
              .exit_code == 0);

    RunResult v = pack({"verify", site.string(), "--public-key", keys.pub.string()});
    CHECK_MESSAGE(v.exit_code == 0, v.err);
    // Rebuilt: nothing new.
    RunResult again = pack_build(source, keys, site);
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    CHECK_MESSAGE(again.out.find("sequence 2, 3 items, 0 new objects") != std::string::npos,
                  again.out);

    // A caption object changed, then one gone: verify names each.
    const fs::path fr = c.items[0].captions[2].file;
    std::string bytes = read_file(fr);
    bytes[bytes.find("appelez")] = 'A';
    std::ofstream(fr, std::ios::binary) << bytes;
    v = pack({"verify", site.string(), "--public-key", keys.pub.string()});
    CHECK(v.exit_code == 1);
    CHECK_MESSAGE(v.err.find("item \"signs\": object " + fr.string() +
                             ": its SHA-256 does not match its name: the file was changed") !=
                      std::string::npos,
                  v.err);
    CHECK(v.out.find("FAULTY") != std::string::npos);
    fs::remove(c.items[0].captions[1].file);
    v = pack({"verify", site.string(), "--public-key", keys.pub.string()});
    CHECK_MESSAGE(v.err.find("item \"signs\": object " + c.items[0].captions[1].file.string() +
                             ": missing") != std::string::npos,
                  v.err);
}

TEST_CASE_FIXTURE(BuiltSite, "build refuses a bad caption file naming the file, the line and what "
                             "is wrong, and leaves the SITE as it was") {
    const auto before = snapshot_tree(site);
    const fs::path media = dir / "src/media";
    struct Case {
        std::string file;
        std::string text;
        std::string message; // after "item \"clip\": MEDIA/FILE"
        std::string lang;
    };
    const std::string cue = "00:00:00.100 --> 00:00:00.400\n";
    const std::vector<Case> cases = {
        {"late.en.vtt", "WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nToo long\n",
         ":3: cue at 00:00:00.500: it ends at 00:00:03.000, after the video (00:00:01.000)", "en"},
        {"order.en.vtt", "WEBVTT\n\n00:00:00.500 --> 00:00:00.900\nSecond\n\n" + cue + "First\n",
         ":6: cue at 00:00:00.100: it starts before the cue before it", "en"},
        {"four.en.srt", "1\n00:00:00,100 --> 00:00:00,400\none\ntwo\nthree\nfour\n",
         ":2: cue at 00:00:00.100: over 3 lines of 42 characters: split it in two cues", "en"},
        {"long.en.vtt",
         "WEBVTT\n\n" + cue + "Someone going from truck to truck, knocking on doors, " +
             "who does not seem to be able to leave, and who is not allowed to speak\n",
         ":3: cue at 00:00:00.100: over 3 lines of 42 characters: split it in two cues", "en"},
        {"latin1.en.vtt", "WEBVTT\n\n" + cue + "Caf\xe9\n", ":4: not UTF-8", "en"},
        // Three lines of 42 capitals: within the character count, but wider than a
        // portrait screen's caption box holds in 3 lines.
        {"capitals.en.vtt",
         "WEBVTT\n\n" + cue + "WATCH FOR A DRIVER WHO IS NOT FREE TO GO!!\n" +
             "WATCH FOR A DRIVER WHO IS NOT FREE TO GO!!\n" +
             "WATCH FOR A DRIVER WHO IS NOT FREE TO GO!!\n",
         ":3: the cue \"WATCH FOR A DRIVER WHO IS NOT ...\" takes", "en"},
        {"timing.en.vtt", "WEBVTT\n\n00:00:00,100 --> 00:00:00,400\nComma\n",
         ":3: not a cue timing (HH:MM:SS.mmm --> HH:MM:SS.mmm)", "en"},
        {"signs.de.vtt", "WEBVTT\n\n" + cue + "Achten Sie auf Zeichen\n",
         ": captions in \"de\", a language the channel does not use (its items and hotlines "
         "use en)",
         "de"},
        {"missing.en.vtt", "", ": cannot read: No such file or directory", "en"},
    };
    for (const Case& c : cases) {
        if (!c.text.empty())
            dir.write("src/media/" + c.file, c.text);
        const fs::path bad =
            make_source(dir, "captions = { " + c.lang + " = \"media/" + c.file + "\" }\n");
        RunResult r = build(bad);
        const std::string message = "item \"clip\": " + (media / c.file).string() + c.message;
        CHECK_MESSAGE(r.exit_code == 1, c.file, r.err);
        CHECK_MESSAGE(r.err.find(message) != std::string::npos, message, " not in: ", r.err);
        CHECK_MESSAGE(r.err.find("1 item(s) refused; nothing was written") != std::string::npos,
                      r.err);
        CHECK_MESSAGE(snapshot_tree(site) == before, "the SITE changed after: ", c.file);
    }
}

TEST_CASE_FIXTURE(BuiltSite, "a video with a tagged subtitle stream and no caption files gets "
                             "that stream's captions") {
    fs::copy_file(tagged_caption_video(dir, "eng"), dir / "src/media/tagged.mp4");
    RunResult r = build(make_source(dir, file_item("tagged", "video", "media/tagged.mp4")));
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(r.err.find("item \"tagged\": captions in \"en\" from the subtitle stream of") !=
                      std::string::npos,
                  r.err);
    Channel c = parse_manifest(read_file(site / "channels/trucking/manifest.json"),
                               site / "objects", "manifest.json");
    REQUIRE(c.items.size() == 4);
    const Item& tagged = c.items[3];
    REQUIRE(tagged.captions.size() == 1);
    CHECK(tagged.captions[0].lang == "en");
    CHECK(read_file(tagged.captions[0].file) ==
          "WEBVTT\n\n00:00:00.300 --> 00:00:01.200\nWatch the lot\n\n"
          "00:00:01.200 --> 00:00:01.900\nCall the hotline\n");
    CHECK(c.items[2].captions.empty()); // the clip has no stream and no file
    CHECK(pack({"verify", site.string(), "--public-key", keys.pub.string()}).exit_code == 0);

    // A stream in a language the channel does not use is left out, with a warning
    // (a caption file in it would be refused: the publisher chose that one).
    fs::copy_file(tagged_caption_video(dir, "spa"), dir / "src/media/tagged-es.mp4");
    r = build(make_source(dir, file_item("tagged-es", "video", "media/tagged-es.mp4")));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(r.err.find("item \"tagged-es\": " + (dir / "src/media/tagged-es.mp4").string() +
                             ": its \"es\" subtitle stream is left out: the channel does not use "
                             "that language (its items and hotlines use en)") != std::string::npos,
                  r.err);
    Channel again = parse_manifest(read_file(site / "channels/trucking/manifest.json"),
                                   site / "objects", "manifest.json");
    REQUIRE(again.items.size() == 4);
    CHECK(again.items[3].captions.empty());
}
