// A publisher's channel source (channel.toml, contract "Channel source"), read by
// milepost-pack and, for the built-in channel, by the player. Bad input must end
// in a ConfigError naming the file, the item and the key.
#include "core/Channel.hpp"
#include "FuzzSupport.hpp"
#include "core/Result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    static const fuzz::ScratchDir dir;
    const auto file = dir.write("channel.toml", fuzz::as_text(data, size));
    std::vector<std::string> warnings;
    try {
        const Channel channel = load_channel_source(file, warnings);
        // What load_channel_source promises its callers.
        if (!is_valid_id(channel.name) || channel.hotlines.empty())
            __builtin_trap();
        for (const Item& item : channel.items)
            if (!is_valid_id(item.id))
                __builtin_trap();
    } catch (const ConfigError& e) {
        if (e.message.empty())
            __builtin_trap();
    }
    return 0;
}
