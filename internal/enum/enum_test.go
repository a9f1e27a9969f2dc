package enum

import "testing"

type color string

func TestCheck(t *testing.T) {
	if err := Check("color", color("red"), "red", "blue"); err != nil {
		t.Error(err)
	}
	if err := Check("color", color("green"), "red", "blue", "gold"); err == nil || err.Error() != `color "green": want red, blue or gold` {
		t.Errorf("got %v", err)
	}
	if List("one") != "one" || List[string]() != "" {
		t.Error("List of one or none")
	}
}
