#include "Playlist.hpp"

#include <algorithm>

namespace milepost {

bool plays_in(const Item& item, const std::vector<std::string>& languages) {
    return item.lang.empty() ||
           std::find(languages.begin(), languages.end(), item.lang) != languages.end();
}

double still_duration(const Item& item) {
    return item.duration.value_or(kDefaultStillSeconds);
}

Playlist::Playlist(const Channel& channel, const std::vector<std::string>& languages) {
    for (const Item& item : channel.items)
        if (plays_in(item, languages))
            m_items.push_back(&item);
}

const Item* Playlist::next() {
    if (m_items.empty())
        return nullptr;
    const Item* item = m_items[m_next];
    m_next = (m_next + 1) % m_items.size();
    return item;
}

} // namespace milepost
