package symbols

import "reflect"

// Symbols maps "import/path/name" to the package's exported symbols.
var Symbols = map[string]map[string]reflect.Value{}

// The packages extracted here are exactly sandbox.Project(); a test checks
// that the go:generate line below names them.
//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract -name symbols github.com/rlhfsim/rlhfsim/nb github.com/rlhfsim/rlhfsim/plots github.com/rlhfsim/rlhfsim/sim/annotate github.com/rlhfsim/rlhfsim/sim/pipeline github.com/rlhfsim/rlhfsim/sim/policy github.com/rlhfsim/rlhfsim/sim/prefs github.com/rlhfsim/rlhfsim/sim/represent github.com/rlhfsim/rlhfsim/sim/reward github.com/rlhfsim/rlhfsim/sim/rng github.com/rlhfsim/rlhfsim/sim/seq github.com/rlhfsim/rlhfsim/sim/stats github.com/rlhfsim/rlhfsim/sim/verify github.com/rlhfsim/rlhfsim/sim/world gonum.org/v1/plot gonum.org/v1/plot/plotter gonum.org/v1/plot/vg
