// The invoice command group: decodeinvoice (offline; no node needed).
#include <memory>
#include <string>

#include "command.h"
#include "invoice_json.h"

namespace fulgur::cli {

void register_invoice_commands(CLI::App& app, Context& ctx) {
  auto text = std::make_shared<std::string>();
  CLI::App* sub = add_command(app, ctx, "decodeinvoice",
                              "decode a BOLT 11 invoice offline and print every field",
                              [text](const Context&) { return decode_invoice_command(*text); });
  sub->add_option("bolt11", *text, "the invoice (a lightning: prefix is accepted)")->required();
}

}  // namespace fulgur::cli
