#pragma once
// What a tap on a touch screen shows for 20 s: the hotline full screen, in the
// language on screen, with a button that switches to the device's next language.
#include "Painter.hpp"

#include <string>
#include <vector>

namespace milepost {

// The language button's box (bottom right); empty when there is one language.
Rect language_button(Size canvas);
// A language's own name: "English", "Español", "Français"; else the code in capitals.
std::string language_name(const std::string& code);

// `next_lang`: the language the button switches to ("" = no button).
Result<void> draw_hotline_screen(Painter& painter, Size canvas, const BannerText& text,
                                 const QrCode* qr, const std::string& next_lang);

} // namespace milepost
