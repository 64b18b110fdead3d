#pragma once
// A model file's header: its JSON, parsed by nlohmann's SAX interface into a document with what
// it may be enforced on the way, so that nothing is built for a header that breaks them and the
// time stays linear in its size: no duplicate keys (the last would silently win), nesting at most
// kMaxHeaderDepth deep, at most kMaxLayers layers in model.layers, and nothing kept of a
// top-level key this reader does not know (a newer writer's: skipped, so unknown keys cost
// parsing time only). Errors name the place: "duplicate key 'activation' in model.layers[3].config".
#include <string>

#include <nlohmann/json.hpp>

namespace nn::io::detail {

// Throws nlohmann::json::exception for text that is not JSON, std::invalid_argument for JSON
// that breaks the limits above.
nlohmann::json parse_header(const std::string& text);

}  // namespace nn::io::detail
