// The content store on real files: what a commit checks, what activation and
// garbage collection keep, and what opening the store again cleans up.
#include "core/Manifest.hpp"
#include "core/Minisign.hpp"
#include "store/ContentStore.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>

#include <climits>
#include <fstream>

using namespace milepost;
using namespace milepost::test;
namespace fs = std::filesystem;

namespace {

// An object name made of one hex digit: "aaaa...".
std::string fake_hash(const std::string& digit) {
    return std::string(64, digit[0]);
}

// A channel whose items use objects named after `objects` (fake hashes).
Channel channel_with(std::int64_t sequence, const std::vector<std::string>& objects,
                     const std::string& name = "trucking") {
    Channel c;
    c.name = name;
    c.sequence = sequence;
    c.published = "2026-11-29T00:00:00Z";
    c.hotlines.push_back({"*", "", "Hotline", "1-888-373-7888", "", "", "", ""});
    for (const auto& o : objects) {
        Item item;
        item.id = "item-" + o;
        item.type = ItemType::Video;
        item.media.object = fake_hash(o);
        item.media.size = 5;
        item.media.duration = 10;
        c.items.push_back(item);
    }
    return c;
}

fs::path install(ContentStore& store, const Channel& c, const MinisignSecretKey& key) {
    const std::string manifest = manifest_json(c);
    auto folder = store.install_channel(c, manifest, minisign_sign(key, manifest, "t"), "\"e\"");
    REQUIRE(folder.ok());
    return *folder;
}

} // namespace

TEST_CASE("a partial download becomes an object only with the right size and SHA-256") {
    TempDir dir;
    auto store = ContentStore::open(dir / "data");
    REQUIRE(store.ok());
    // SHA-256 of "hello".
    const std::string hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    dir.write("data/partial/" + hello, "hel");
    auto short_one = store->commit_object(hello, 5);
    CHECK(!short_one.ok());
    CHECK(fs::exists(store->partial_path(hello))); // kept, to be resumed
    dir.write("data/partial/" + hello, "jello");
    auto wrong = store->commit_object(hello, 5);
    REQUIRE(!wrong.ok());
    CHECK(wrong.error().message.find("SHA-256") != std::string::npos);
    CHECK(!fs::exists(store->partial_path(hello))); // thrown away
    dir.write("data/partial/" + hello, "hello");
    CHECK(store->commit_object(hello, 5).ok());
    CHECK(store->has_object(hello, 5));
    CHECK(!store->has_object(hello, 6));
    CHECK(!fs::exists(store->partial_path(hello)));
}

TEST_CASE("activation keeps the previous version, and garbage collection what the two use") {
    TempDir dir;
    auto keys = minisign_generate();
    const std::string pub = minisign_public_key_line(keys.first);
    auto store = ContentStore::open(dir / "data");
    REQUIRE(store.ok());
    for (const char* o : {"a", "b", "c", "d"})
        dir.write("data/objects/" + fake_hash(o), "12345");
    dir.write("data/partial/" + fake_hash("e"), "12");
    dir.write("data/partial/" + fake_hash("f"), "12");

    CHECK(!store->active(pub));
    REQUIRE(store->activate(install(*store, channel_with(1, {"a", "b"}), keys.second)).ok());
    REQUIRE(store->activate(install(*store, channel_with(2, {"b", "c"}), keys.second)).ok());
    install(*store, channel_with(3, {"d"}), keys.second); // installed, never activated
    auto active = store->active(pub);
    REQUIRE(active);
    REQUIRE_MESSAGE(active->ok(), active->error().message);
    CHECK((*active)->channel.sequence == 2);
    CHECK((*active)->etag == "\"e\"");
    CHECK(active_target(dir / "data") == "channels/2-trucking");
    REQUIRE(store->previous(pub));
    CHECK((*store->previous(pub))->channel.sequence == 1);

    const auto freed = store->collect_garbage({fake_hash("e")});
    CHECK(freed == 5 + 2); // object d, partial f
    CHECK(store->has_object(fake_hash("a"), 5));
    CHECK(store->has_object(fake_hash("b"), 5));
    CHECK(store->has_object(fake_hash("c"), 5));
    CHECK(!store->has_object(fake_hash("d"), 5));
    CHECK(fs::exists(store->partial_path(fake_hash("e"))));
    CHECK(!fs::exists(store->partial_path(fake_hash("f"))));
    CHECK(!fs::exists(dir / "data/channels/3-trucking"));

    // Making room for a new version drops the previous one, never the active.
    store->collect_garbage({}, ContentStore::Keep::ActiveOnly);
    CHECK(!store->has_object(fake_hash("a"), 5));
    CHECK(store->has_object(fake_hash("b"), 5));
    CHECK(store->has_object(fake_hash("c"), 5));
    CHECK(store->bytes_used() == 10);
}

TEST_CASE("opening the store again removes what a killed run left half made") {
    TempDir dir;
    auto keys = minisign_generate();
    {
        auto store = ContentStore::open(dir / "data");
        REQUIRE(store.ok());
        REQUIRE(store->activate(install(*store, channel_with(1, {"a"}), keys.second)).ok());
    }
    dir.write("data/channels/.2-trucking.tmp/manifest.json", "{");
    fs::create_symlink("channels/.2-trucking.tmp", dir / "data/active.tmp");
    dir.write("data/partial/" + fake_hash("b"), "12");
    auto store = ContentStore::open(dir / "data");
    REQUIRE(store.ok());
    CHECK(!fs::exists(dir / "data/channels/.2-trucking.tmp"));
    CHECK(!fs::is_symlink(dir / "data/active.tmp"));
    CHECK(fs::exists(store->partial_path(fake_hash("b")))); // resumed by the next update
    CHECK(active_target(dir / "data") == "channels/1-trucking");
}

TEST_CASE("a damaged active channel is reported, not played") {
    TempDir dir;
    auto keys = minisign_generate();
    auto store = ContentStore::open(dir / "data");
    REQUIRE(store.ok());
    const fs::path folder = install(*store, channel_with(1, {"a"}), keys.second);
    REQUIRE(store->activate(folder).ok());
    std::ofstream(folder / "manifest.json", std::ios::app) << " ";
    auto active = store->active(minisign_public_key_line(keys.first));
    REQUIRE(active);
    REQUIRE(!active->ok());
    CHECK(active->error().message.find("signature") != std::string::npos);
}

TEST_CASE("the cache budget is fixed at first start, or set by max_cache_mb") {
    TempDir dir;
    auto store = ContentStore::open(dir / "data");
    REQUIRE(store.ok());
    CHECK(store->budget(100) == 100u * 1024 * 1024);
    const auto first = store->budget(0);
    CHECK(first > 0);
    CHECK(first <= store->free_space());
    dir.write("data/objects/" + fake_hash("a"), std::string(1 << 20, 'x'));
    CHECK(store->budget(0) == first); // remembered, not shrunk by what the cache holds
}

TEST_CASE("a channel's rollback floor counts only its own folders, dots in names or not") {
    TempDir dir;
    auto keys = minisign_generate();
    const auto id = keys.first.key_id;
    auto store = ContentStore::open(dir / "data");
    REQUIRE(store.ok());
    // A screen moved from "news.tx" at 900 to "news" at 5.
    REQUIRE(
        store->activate(install(*store, channel_with(900, {"a"}, "news.tx"), keys.second)).ok());
    REQUIRE(store->activate(install(*store, channel_with(5, {"a"}, "news"), keys.second)).ok());
    CHECK(store->sequence_floor("news", id) == 5);
    CHECK(store->sequence_floor("news.tx", id) == 900);
    CHECK(store->sequence_floor("new", id) == 0);
    // The same version fetched again gets a name no channel can have.
    const fs::path again = install(*store, channel_with(5, {"a"}, "news"), keys.second);
    CHECK(again.filename() == "5-news+2");
    REQUIRE(store->activate(again).ok());
    CHECK(store->sequence_floor("news", id) == 5);
    CHECK(store->sequence_floor("news+2", id) == 0);

    // Folders an older Milepost named "<sequence>-<name>.<n>": its manifest says
    // whether that is a copy of "news" or the channel "news.2".
    auto legacy = [&](const std::string& folder, const Channel& c) {
        const std::string manifest = manifest_json(c);
        dir.write("data/channels/" + folder + "/manifest.json", manifest);
        dir.write("data/channels/" + folder + "/manifest.json.minisig",
                  minisign_sign(keys.second, manifest, "t"));
        fs::remove(dir / "data/active");
        fs::create_symlink("channels/" + folder, dir / "data/active");
    };
    legacy("7-news.2", channel_with(7, {"a"}, "news"));
    CHECK(store->sequence_floor("news", id) == 7);
    CHECK(store->sequence_floor("news.2", id) == 0);
    legacy("8-news.3", channel_with(8, {"a"}, "news.3"));
    CHECK(store->sequence_floor("news.3", id) == 8);
    CHECK(store->sequence_floor("news", id) == 5); // the previous pointer: 5-news
}

TEST_CASE("a rollback floor is kept per signing key, and a sequence past the bound is none") {
    TempDir dir;
    auto old_key = minisign_generate(), new_key = minisign_generate();
    auto store = ContentStore::open(dir / "data");
    REQUIRE(store.ok());
    const fs::path folder = install(*store, channel_with(900, {"a"}), old_key.second);
    REQUIRE(store->activate(folder).ok());
    CHECK(store->sequence_floor("trucking", old_key.first.key_id) == 900);
    // A screen given a new public_key (the old one leaked or retired) starts over.
    CHECK(store->sequence_floor("trucking", new_key.first.key_id) == 0);
    // A damaged manifest does not lower the floor; a signature that cannot be read
    // cannot say whose it was, so the version counts for every key.
    std::ofstream(folder / "manifest.json", std::ios::trunc) << "{";
    CHECK(store->sequence_floor("trucking", old_key.first.key_id) == 900);
    std::ofstream(folder / "manifest.json.minisig", std::ios::trunc) << "damaged";
    CHECK(store->sequence_floor("trucking", new_key.first.key_id) == 900);

    // A folder an older Milepost made from a manifest at 2^63 - 1: no manifest may
    // carry that any more, and counting it would refuse every update for good.
    dir.write("data/channels/9223372036854775807-trucking/etag", "");
    fs::remove(dir / "data/active");
    fs::create_symlink("channels/9223372036854775807-trucking", dir / "data/active");
    fs::remove(dir / "data/previous");
    CHECK(store->sequence_floor("trucking", old_key.first.key_id) == 0);
    dir.write("data/channels/9007199254740991-trucking/etag", "");
    fs::remove(dir / "data/active");
    fs::create_symlink("channels/9007199254740991-trucking", dir / "data/active");
    CHECK(store->sequence_floor("trucking", old_key.first.key_id) == kMaxSequence);
}

TEST_CASE("the content budget leaves the play log its room, whatever max_cache_mb says") {
    TempDir dir;
    auto store = ContentStore::open(dir / "data");
    REQUIRE(store.ok());
    store->keep_free(disk_reserve(64));
    CHECK(store->reserve() == (64u + 32u) << 20);
    dir.write("data/objects/" + fake_hash("a"), std::string(1 << 20, 'x'));
    // More than the disk holds: what the disk holds, less the reserve.
    REQUIRE(store->free_space() > disk_reserve(64) + (64u << 20));
    for (const std::int64_t mb : {std::int64_t{1} << 30, std::int64_t{INT64_MAX}}) {
        const std::uint64_t budget = store->budget(mb);
        const std::uint64_t room_now = store->free_space() + store->bytes_used();
        // Others write to the same disk meanwhile: equal within a few MiB.
        CHECK(budget <= room_now - disk_reserve(64) + (64u << 20));
        CHECK(budget + (64u << 20) >= room_now - disk_reserve(64));
    }
    // The 80% of the first start is held to it too.
    store->keep_free(UINT64_MAX / 2); // more than any disk
    CHECK(store->budget(0) == 0);
    CHECK(store->budget(100) == 0);
    // A small budget is left as it is.
    store->keep_free(disk_reserve(64));
    CHECK(store->budget(1) == 1u << 20);
}
