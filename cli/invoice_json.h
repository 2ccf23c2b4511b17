// BOLT 11 invoices as fulgur-cli prints them: the JSON form of every decoded field, and
// the decodeinvoice command's result (JSON or an error naming what is wrong). Kept out of
// main.cpp so that tests can check it.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

#include "command.h"
#include "invoice/invoice.h"

namespace fulgur::cli {

nlohmann::json invoice_to_json(const invoice::Invoice& invoice);

// Decodes `text` (a "lightning:" URI prefix is accepted) offline. Errors have code
// "invalid_invoice" and a message "<rule>: <what is wrong>".
CommandResult decode_invoice_command(std::string_view text);

}  // namespace fulgur::cli
