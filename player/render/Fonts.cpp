#include "Fonts.hpp"

#include <string>

namespace milepost {

Result<Fonts> Fonts::open(const std::string& dir) {
    const int initial_px = 32;
    auto open_one = [&](const char* name) -> FontPtr {
        std::string path = dir + "/" + name;
        return FontPtr(TTF_OpenFont(path.c_str(), initial_px));
    };
    FontPtr regular = open_one("DejaVuSans.ttf");
    FontPtr bold = open_one("DejaVuSans-Bold.ttf");
    if (!regular || !bold)
        return Error{"cannot open " + dir + "/DejaVuSans.ttf and DejaVuSans-Bold.ttf: " +
                     TTF_GetError() + " (install fonts-dejavu-core)"};
    Fonts fonts(std::move(regular), std::move(bold));
    fonts.m_regular_px = fonts.m_bold_px = initial_px;
    return fonts;
}

TTF_Font* Fonts::at(Face face, int px) {
    TTF_Font* font = face == Face::Bold ? m_bold.get() : m_regular.get();
    int& current = face == Face::Bold ? m_bold_px : m_regular_px;
    if (current != px) {
        TTF_SetFontSize(font, px);
        current = px;
    }
    return font;
}

int Fonts::width(Face face, int px, std::string_view utf8) {
    std::string s(utf8);
    int w = 0, h = 0;
    if (TTF_SizeUTF8(at(face, px), s.c_str(), &w, &h) != 0)
        return 0;
    return w;
}

int Fonts::line_height(Face face, int px) {
    return TTF_FontLineSkip(at(face, px));
}

} // namespace milepost
