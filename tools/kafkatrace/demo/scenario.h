// The demo's scripted scenario (`kafkatrace demo --once`): questions asked
// through the api as a browser would, idle and then with the worker busy,
// each followed through the viewer's API until its trace reached the board;
// then each trace's hops and diagnosis printed.
#pragma once

#include <string>

#include "commands.h"

namespace kafkatrace::cli {

// Runs it against the api at 127.0.0.1:`api_port` and the viewer at
// `viewer_ui`; 0 if every question formed one connected trace, else 1.
int RunDemoScenario(const DemoArgs& args, int api_port,
                    const std::string& viewer_ui);

}  // namespace kafkatrace::cli
