package sandbox

import (
	"errors"
	"reflect"
	"testing"
)

type style struct {
	Width  float64
	Dashes []float64
}

var (
	errX    = errors.New("x")
	palette = []string{"blue", "red"}
	theme   = &style{Width: 2, Dashes: []float64{1, 2}}
)

func TestFilterExposesReadOnlyDeepCopies(t *testing.T) {
	const path = "github.com/rlhfsim/rlhfsim/plots"
	ex := map[string]map[string]reflect.Value{
		path + "/plots": {
			"Palette": reflect.ValueOf(&palette).Elem(),
			"Slide":   reflect.ValueOf(&theme).Elem(),
			"ErrData": reflect.ValueOf(&errX).Elem(),
			"Save":    reflect.ValueOf(func() {}),
			"Render":  reflect.ValueOf(func() {}),
		},
		"os/os": {"Exit": reflect.ValueOf(func(int) {})},
	}
	got := Filter(ex)
	if _, ok := got["os/os"]; ok {
		t.Error("a package outside the allowlist came through")
	}
	m := got[path+"/plots"]
	if _, ok := m["Save"]; ok {
		t.Error("plots.Save, which writes files, came through")
	}
	if _, ok := m["Render"]; !ok {
		t.Error("plots.Render, which is allowed, was dropped")
	}
	for _, name := range []string{"Palette", "Slide", "ErrData"} {
		if m[name].CanSet() || m[name].CanAddr() {
			t.Errorf("%s is assignable", name)
		}
	}
	m["Palette"].Interface().([]string)[0] = "changed"
	s := m["Slide"].Interface().(*style)
	s.Width, s.Dashes[0] = 9, 9
	if palette[0] != "blue" || theme.Width != 2 || theme.Dashes[0] != 1 {
		t.Errorf("changing the copies changed the package: %v %+v", palette, theme)
	}
	if !errors.Is(m["ErrData"].Interface().(error), errX) {
		t.Error("an error variable lost its identity, so errors.Is fails")
	}
}

func TestDeniedByNameAndMethod(t *testing.T) {
	if _, d, ok := Denied("github.com/rlhfsim/rlhfsim/plots", "Save"); !ok || d.Why == "" {
		t.Error("plots.Save is not denied")
	}
	if _, _, ok := Denied("github.com/rlhfsim/rlhfsim/nb", "Float"); ok {
		t.Error("nb.Float is denied")
	}
	owners, _, ok := DeniedMethod("Save")
	if !ok || !reflect.DeepEqual(owners, []string{"plot.Plot", "reward.Scorer"}) {
		t.Errorf("Save: %v %v", owners, ok)
	}
	if _, _, ok := DeniedMethod("Render"); ok {
		t.Error("Render is denied as a method")
	}
	if PackageName("math/rand/v2") != "rand" || PackageName("gonum.org/v1/plot") != "plot" {
		t.Error("PackageName")
	}
}
