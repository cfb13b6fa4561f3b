// A published channel's manifest.json, parsed by milepost-sync and the player once
// its signature has been checked: a signed manifest is trusted to be the
// publisher's, not to be well formed (a buggy or old pack, a hand edit re-signed).
// Bad input must end in a ConfigError. What parses must be written back by
// manifest_json (as pack does) to a manifest that parses to the same text.
#include "core/Manifest.hpp"
#include "FuzzSupport.hpp"
#include "core/Result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    Channel channel;
    try {
        channel =
            parse_manifest(fuzz::as_text(data, size), "/nonexistent/objects", "manifest.json");
    } catch (const ConfigError& e) {
        if (e.message.empty())
            __builtin_trap();
        return 0;
    }
    // The round trip holds for what pack writes: a video with its length known
    // (probe refuses one without). The parser accepts one without, played for the
    // length its file turns out to have.
    for (const Item& item : channel.items)
        if (item.type == ItemType::Video && !(item.media.duration > 0))
            return 0;
    const std::string once = manifest_json(channel);
    try {
        const std::string twice =
            manifest_json(parse_manifest(once, "/nonexistent/objects", "manifest.json"));
        if (twice != once)
            __builtin_trap(); // writer and reader disagree
    } catch (const ConfigError&) {
        __builtin_trap(); // pack would publish a manifest that no screen accepts
    }
    return 0;
}
