// `Overloaded{lambdas...}`: one visitor made of several lambdas, for std::visit over the
// variants the protocol code hands out (events, actions, decisions).
#pragma once

namespace fulgur {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace fulgur
