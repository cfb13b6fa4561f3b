#include "Text.hpp"

#include <cctype>

namespace milepost {

std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80)
        return 1;
    if ((lead >> 5) == 0x6)
        return 2;
    if ((lead >> 4) == 0xe)
        return 3;
    if ((lead >> 3) == 0x1e)
        return 4;
    return 1;
}

std::size_t bad_utf8_at(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80 ? 1 : utf8_length(c);
        if ((c >= 0x80 && n == 1) || (n == 2 && c < 0xC2) || i + n > s.size())
            return i;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
                return i;
        const auto c1 = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
        if (n == 3 && ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)))
            return i; // an overlong form, or a surrogate
        if (n == 4 && ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)))
            return i; // an overlong form, or past U+10FFFF
        i += n;
    }
    return std::string_view::npos;
}

std::size_t code_points(std::string_view text) {
    std::size_t n = 0;
    for (unsigned char c : text)
        n += (c & 0xC0) != 0x80;
    return n;
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (true) {
        const std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            lines.push_back(text.substr(pos));
            return lines;
        }
        lines.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
}

std::string trimmed(std::string_view text) {
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && space(text.back()))
        text.remove_suffix(1);
    while (!text.empty() && space(text.front()))
        text.remove_prefix(1);
    return std::string(text);
}

} // namespace milepost
