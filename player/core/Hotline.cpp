#include "Hotline.hpp"

namespace milepost {

namespace {

// How specific a hotline region is for `region`, or -1 when it does not match.
int specificity(std::string_view hotline_region, std::string_view region) {
    if (hotline_region == "*")
        return 0;
    if (region == hotline_region)
        return 2 + static_cast<int>(hotline_region.size());
    if (region.starts_with(hotline_region) && region.size() > hotline_region.size() &&
        region[hotline_region.size()] == '-')
        return 1 + static_cast<int>(hotline_region.size());
    return -1;
}

struct Words {
    const char* call;         // "Call %s"
    const char* text_keyword; // "Text %k to %s"
    const char* text;         // "Text %s"
    const char* emergency;    // "In immediate danger? Call %s"
    const char* fallback_title;
    const char* fallback_bullets[3];
};

// U+00A0 before French high punctuation keeps "?" on the line of its words.
const Words kEnglish{"Call %s",
                     "Text %k to %s",
                     "Text %s",
                     "In immediate danger? Call %s",
                     "Human trafficking happens here. You can help stop it.",
                     {"If something does not look right, trust your instincts.",
                      "Call the hotline below: it is free, confidential and open 24/7.",
                      "Never confront anyone yourself."}};
const Words kSpanish{"Llame al %s",
                     "Envíe %k al %s",
                     "Envíe un mensaje al %s",
                     "¿En peligro inmediato? Llame al %s",
                     "La trata de personas ocurre aquí. Usted puede ayudar a detenerla.",
                     {"Si algo no le parece normal, confíe en su instinto.",
                      "Llame a la línea de abajo: es gratuita, confidencial y atiende 24/7.",
                      "Nunca confronte a nadie usted mismo."}};
const Words kFrench{"Appelez le %s",
                    "Textez %k au %s",
                    "Textez le %s",
                    "En danger immédiat\u00a0? Appelez le %s",
                    "La traite des personnes existe ici. Vous pouvez aider à l'arrêter.",
                    {"Si quelque chose vous semble anormal, fiez-vous à votre instinct.",
                     "Appelez la ligne ci-dessous : gratuite, confidentielle, 24 h sur 24.",
                     "Ne confrontez jamais personne vous-même."}};

const Words& words(std::string_view lang) {
    if (lang == "es")
        return kSpanish;
    if (lang == "fr")
        return kFrench;
    return kEnglish;
}

std::string fill(std::string_view pattern, std::string_view s, std::string_view k = {}) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '%' && i + 1 < pattern.size() &&
            (pattern[i + 1] == 's' || pattern[i + 1] == 'k')) {
            out += pattern[i + 1] == 's' ? s : k;
            ++i;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

} // namespace

const Hotline* find_hotline(const std::vector<Hotline>& hotlines, std::string_view region,
                            std::string_view lang) {
    const Hotline* best = nullptr;
    int best_score = -1;
    for (const Hotline& h : hotlines) {
        int spec = specificity(h.region, region);
        if (spec < 0)
            continue;
        int lang_score = h.lang == lang ? 2 : h.lang.empty() ? 1 : 0;
        int score = spec * 4 + lang_score;
        if (score > best_score) {
            best = &h;
            best_score = score;
        }
    }
    return best;
}

BannerText banner_text(const Hotline& hotline, std::string_view lang) {
    const Words& w = words(lang);
    BannerText b;
    b.name = hotline.name;
    b.call = fill(w.call, hotline.call);
    if (!hotline.text.empty())
        b.text = hotline.text_keyword.empty()
                     ? fill(w.text, hotline.text)
                     : fill(w.text_keyword, hotline.text, hotline.text_keyword);
    if (!hotline.emergency.empty())
        b.emergency = fill(w.emergency, hotline.emergency);
    return b;
}

FallbackText fallback_text(const Hotline& hotline, std::string_view lang) {
    const Words& w = words(lang);
    FallbackText f;
    f.title = w.fallback_title;
    f.bullets.assign(std::begin(w.fallback_bullets), std::end(w.fallback_bullets));
    if (!hotline.emergency.empty())
        f.bullets.back() += " " + fill(w.emergency, hotline.emergency);
    return f;
}

} // namespace milepost
