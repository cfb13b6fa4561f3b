#include "RaucBundle.hpp"

#include "Process.hpp"
#include "core/Text.hpp"

#include <nlohmann/json.hpp>

namespace milepost {

Result<RaucBundleInfo> rauc_bundle_info(const std::filesystem::path& bundle,
                                        const std::filesystem::path& keyring) {
    std::vector<std::string> argv{"rauc"};
    if (!keyring.empty())
        argv.push_back("--keyring=" + keyring.string());
    argv.insert(argv.end(), {"info", "--output-format=json"});
    if (keyring.empty())
        argv.push_back("--no-verify");
    argv.push_back(bundle.string());
    const ToolResult info = run_tool(argv);
    if (info.status < 0)
        return Error{"cannot run rauc (apt install rauc)"};
    if (info.status != 0) {
        const std::string err = trimmed(info.err);
        return Error{err.substr(err.rfind('\n') == std::string::npos ? 0 : err.rfind('\n') + 1)};
    }
    const auto j = nlohmann::json::parse(info.out, nullptr, false);
    RaucBundleInfo out;
    if (j.is_object()) {
        if (auto it = j.find("compatible"); it != j.end() && it->is_string())
            out.compatible = it->get<std::string>();
        if (auto it = j.find("version"); it != j.end() && it->is_string())
            out.version = it->get<std::string>();
    }
    return out;
}

} // namespace milepost
