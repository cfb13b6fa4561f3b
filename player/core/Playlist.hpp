#pragma once
// The order items play in: every item in the device's languages, in the
// channel's order, round and round. FIXME: dayparts, weights and clock anchoring
// (issue 7) replace this with a schedule computed from the wall clock.
#include "Channel.hpp"

#include <string>
#include <vector>

namespace milepost {

class Playlist {
public:
    Playlist(const Channel& channel, const std::vector<std::string>& languages);

    bool empty() const { return m_items.empty(); }
    size_t size() const { return m_items.size(); }
    // The next item, round and round; nullptr when the playlist is empty.
    const Item* next();

private:
    std::vector<const Item*> m_items; // point into the Channel, which outlives this
    size_t m_next = 0;
};

bool plays_in(const Item& item, const std::vector<std::string>& languages);
double still_duration(const Item& item); // seconds a slide or image stays up

} // namespace milepost
