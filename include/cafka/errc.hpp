// The errors cafka's clients return: cafka::errc (a CAF error category registered by
// configure_client()) and describe(err) for a one-line text. Any thread.
#pragma once

#include "runtime/base/errc.hpp"
