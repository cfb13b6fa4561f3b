#pragma once
// The two faces every screen draws with, at any pixel size.
#include "SdlHandles.hpp"
#include "core/Result.hpp"

#include <string>
#include <string_view>

namespace milepost {

enum class Face { Regular, Bold };

class Fonts {
public:
    // Opens DejaVu Sans (fonts-dejavu-core) from `dir` (default: Debian's path).
    // TTF_Init must have been called.
    static Result<Fonts> open(const std::string& dir = kDefaultDir);

    // The font at `px` pixels per em. The pointer stays valid; the size is the
    // last one asked for, so use it before asking for another.
    TTF_Font* at(Face face, int px);
    int width(Face face, int px, std::string_view utf8);
    int line_height(Face face, int px);

    static constexpr const char* kDefaultDir = "/usr/share/fonts/truetype/dejavu";

private:
    Fonts(FontPtr regular, FontPtr bold) : m_regular(std::move(regular)), m_bold(std::move(bold)) {}
    FontPtr m_regular;
    FontPtr m_bold;
    int m_regular_px = 0;
    int m_bold_px = 0;
};

} // namespace milepost
