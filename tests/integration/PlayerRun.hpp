#pragma once
// Runs the real milepost-player headless from a test.
#include "support/TestSupport.hpp"

#include <string>
#include <vector>

namespace milepost::test {

// milepost-player --config CONFIG --data-dir DIR/data --headless SIZE EXTRA...
inline RunResult run_player(const TempDir& dir, const std::string& config_text,
                            std::vector<std::string> extra, const std::string& size = "1920x1080",
                            const std::vector<std::string>& env = {}) {
    auto config = dir.write("device.toml", config_text);
    std::vector<std::string> argv{
        MILEPOST_PLAYER, "--config", config.string(), "--data-dir", (dir / "data").string(),
        "--headless",    size};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, dir.path(), env);
}

} // namespace milepost::test
