// The device config (/etc/milepost/device.toml) and the provisioning override
// (/boot/firmware/milepost.toml) written on a PC: TOML from whoever holds the card.
// The input is the device config, then, after a NUL byte if there is one, the
// override applied on top. Both are written to files and read by load_device_config,
// as the player reads them. Bad input must end in a ConfigError (a message naming
// file and key); anything else escaping is a bug.
#include "FuzzSupport.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    static const fuzz::ScratchDir dir;
    const std::string_view input = fuzz::as_text(data, size);
    const std::size_t nul = input.find('\0');
    const auto device = dir.write("device.toml", input.substr(0, nul));
    // No override when there is no NUL: a path that names no file, as on a card
    // without one.
    const auto override_file = nul == std::string_view::npos
                                   ? dir.path() / "no-milepost.toml"
                                   : dir.write("milepost.toml", input.substr(nul + 1));
    std::vector<std::string> warnings;
    try {
        load_device_config(device.string(), override_file.string(),
                           "0123456789abcdef0123456789abcdef", warnings);
    } catch (const ConfigError& e) {
        if (e.message.empty())
            __builtin_trap(); // an error must say what is wrong
    }
    return 0;
}
