#include "Identifiers.hpp"

namespace milepost {

bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > 128)
        return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    return true;
}

bool is_valid_region(std::string_view r) {
    auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    auto alnum = [&](char c) { return upper(c) || (c >= '0' && c <= '9'); };
    if (r.size() < 2 || !upper(r[0]) || !upper(r[1]))
        return false;
    if (r.size() == 2)
        return true;
    if (r[2] != '-' || r.size() < 4 || r.size() > 6)
        return false;
    for (size_t i = 3; i < r.size(); ++i)
        if (!alnum(r[i]))
            return false;
    return true;
}

bool is_valid_language(std::string_view lang) {
    if (lang.size() < 2 || lang.size() > 3)
        return false;
    for (char c : lang)
        if (c < 'a' || c > 'z')
            return false;
    return true;
}

} // namespace milepost
