#pragma once
// UTF-8 text as the player, milepost-pack and milepost-fleet handle it: checking it,
// counting its characters, cutting it into lines, and wrapping words to a width
// that the caller measures (characters for caption files, pixels on a screen).
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace milepost {

// Length in bytes of the UTF-8 sequence that starts with `lead` (1 for a stray byte).
std::size_t utf8_length(unsigned char lead);
// The offset of the first byte that breaks UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF included), or npos.
std::size_t bad_utf8_at(std::string_view text);
// Characters (code points) in valid UTF-8.
std::size_t code_points(std::string_view text);
// `text` cut at each '\n' (n breaks make n + 1 lines; the pieces point into it).
std::vector<std::string_view> split_lines(std::string_view text);
// `text` without the white space at either end.
std::string trimmed(std::string_view text);

// Greedy word wrap of one line of `text` at spaces: as many words on a line as
// `fits(line)` allows; a word that does not fit alone is broken between characters.
template <typename Fits>
std::vector<std::string> wrap_words(std::string_view text, const Fits& fits) {
    std::vector<std::string> lines;
    std::string line;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && text[pos] == ' ')
            ++pos;
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view word = text.substr(pos, end - pos);
        pos = end;
        if (word.empty())
            continue;
        std::string candidate = line.empty() ? std::string(word) : line + " " + std::string(word);
        if (fits(std::string_view(candidate))) {
            line = std::move(candidate);
            continue;
        }
        if (!line.empty())
            lines.push_back(std::move(line));
        line.clear();
        if (fits(word)) {
            line = std::string(word);
            continue;
        }
        // A word too wide alone: broken between characters.
        for (std::size_t i = 0; i < word.size();) {
            const std::size_t n =
                std::min(utf8_length(static_cast<unsigned char>(word[i])), word.size() - i);
            std::string next = line + std::string(word.substr(i, n));
            if (!line.empty() && !fits(std::string_view(next))) {
                lines.push_back(std::move(line));
                next = std::string(word.substr(i, n));
            }
            line = std::move(next);
            i += n;
        }
    }
    if (!line.empty())
        lines.push_back(std::move(line));
    return lines;
}

} // namespace milepost
