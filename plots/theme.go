package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
	"gonum.org/v1/plot/vg/vgimg"
)

// Okabe-Ito, the colour-blind-safe palette of the house style, in the
// order series use it. Yellow comes last: it is hard to see on white.
var (
	Orange    = color.RGBA{0xE6, 0x9F, 0x00, 0xFF}
	SkyBlue   = color.RGBA{0x56, 0xB4, 0xE9, 0xFF}
	Green     = color.RGBA{0x00, 0x9E, 0x73, 0xFF}
	Yellow    = color.RGBA{0xF0, 0xE4, 0x42, 0xFF}
	Blue      = color.RGBA{0x00, 0x72, 0xB2, 0xFF}
	Vermilion = color.RGBA{0xD5, 0x5E, 0x00, 0xFF}
	Purple    = color.RGBA{0xCC, 0x79, 0xA7, 0xFF}
	Black     = color.RGBA{0x00, 0x00, 0x00, 0xFF}

	// Gray draws reference lines and grids.
	Gray = color.RGBA{0x99, 0x99, 0x99, 0xFF}
)

// palette is the order in which series take colours.
var palette = [...]color.Color{Blue, Vermilion, Green, Orange, Purple, SkyBlue, Black, Yellow}

// Palette returns the order in which series take colours. Each call
// returns a new slice: a lesson that changes its copy changes nothing
// else, not even a later call.
func Palette() []color.Color {
	p := palette
	return p[:]
}

// Theme is one size preset of the house style. Fonts are Liberation Sans;
// every length scales with FontSize, so a figure looks the same at any
// preset, only larger or smaller.
type Theme struct {
	Name          string
	Width, Height vg.Length
	// FontSize is the size of axis labels and legend text; tick labels are
	// 0.85 of it and titles 1.15.
	FontSize vg.Length
	// LineWidth is the width of data lines.
	LineWidth vg.Length
	// DPI is the resolution of PNG output.
	DPI int
}

// The size presets: Slide is 16:9 and readable from the back of a room;
// Print fits one column of a two-column page. Each call returns a new
// Theme, so a caller (or a lesson) that changes one changes nothing else.
func Slide() *Theme {
	return &Theme{Name: "slide", Width: 10 * vg.Inch, Height: 5.625 * vg.Inch, FontSize: 18, LineWidth: 3, DPI: 144}
}

// Print is the print preset; see Slide. Its smallest text, the tick
// labels at 0.85 of FontSize, is 7.5 pt, the least most journals accept.
func Print() *Theme {
	return &Theme{Name: "print", Width: 3.4 * vg.Inch, Height: 2.4 * vg.Inch, FontSize: 7.5 / 0.85, LineWidth: 1.2, DPI: 300}
}

// ThemeByName returns the preset called name ("slide" or "print").
func ThemeByName(name string) (*Theme, bool) {
	switch name {
	case "slide":
		return Slide(), true
	case "print":
		return Print(), true
	}
	return nil, false
}

func (th *Theme) or() *Theme {
	if th == nil {
		return Slide()
	}
	return th
}

func (th *Theme) font(scale float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: th.FontSize * vg.Length(scale)}
}

// newPlot returns a plot in the house style with the given title and axis
// labels.
func (th *Theme) newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = th.font(1.15)
	p.Title.Padding = th.FontSize * 0.6
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Tick.Marker = niceTicks{}
		ax.Label.TextStyle.Font = th.font(1)
		ax.Tick.Label.Font = th.font(0.85)
		ax.LineStyle.Width = th.LineWidth / 3
		ax.Tick.LineStyle.Width = th.LineWidth / 3
		ax.Tick.Length = th.FontSize / 3
		ax.Padding = th.FontSize / 4
	}
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.Legend.TextStyle.Font = th.font(0.9)
	p.Legend.Top = true
	p.Legend.Padding = th.FontSize / 5
	p.Legend.ThumbnailWidth = th.FontSize * 1.6
	p.Legend.XOffs, p.Legend.YOffs = -th.FontSize/2, -th.FontSize/3
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.Gray{0xE4}, color.Gray{0xE4}
	g.Vertical.Width, g.Horizontal.Width = th.LineWidth/3, th.LineWidth/3
	p.Add(g)
	return p
}

// lineStyle returns the data line style of series i.
func (th *Theme) lineStyle(i int, dashed bool) draw.LineStyle {
	ls := draw.LineStyle{Color: palette[i%len(palette)], Width: th.LineWidth}
	if dashed {
		ls.Dashes = []vg.Length{th.LineWidth * 3, th.LineWidth * 2}
	}
	return ls
}

// refStyle is the style of reference lines (ceilings, diagonals, bounds).
func (th *Theme) refStyle() draw.LineStyle {
	return draw.LineStyle{Color: Black, Width: th.LineWidth * 0.6, Dashes: []vg.Length{th.LineWidth, th.LineWidth * 1.5}}
}

// ErrData is wrapped by the errors builders return for unusable data.
var ErrData = errors.New("plots: unusable data")

// check returns an error unless every slice is non-empty and finite.
func check(what string, xs ...[]float64) error {
	for _, x := range xs {
		if len(x) == 0 {
			return fmt.Errorf("%w: %s: no data", ErrData, what)
		}
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: %s: a value is NaN or infinite", ErrData, what)
			}
		}
	}
	return nil
}

// Formats returns the file formats Save writes, chosen by extension.
func Formats() []string { return []string{"svg", "pdf", "png"} }

// Render returns the plot drawn at the theme's size in the format named by
// ext ("svg", "pdf" or "png"; PNG at the theme's DPI).
func Render(p *plot.Plot, th *Theme, ext string) ([]byte, error) {
	th = th.or()
	ext = strings.ToLower(strings.TrimPrefix(ext, "."))
	var buf bytes.Buffer
	switch ext {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(th.Width, th.Height), vgimg.UseDPI(th.DPI), vgimg.UseBackgroundColor(color.White))
		p.Draw(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return nil, err
		}
	case "svg", "pdf":
		if ext == "pdf" {
			pdfOnce.Do(reproduciblePDF)
		}
		w, err := p.WriterTo(th.Width, th.Height, ext)
		if err != nil {
			return nil, err
		}
		if _, err := w.WriteTo(&buf); err != nil {
			return nil, err
		}
		if ext == "svg" {
			// Liberation Sans shares Arial's metrics, so naming the usual
			// sans-serif fonts as fallbacks keeps the layout on machines
			// without it, instead of dropping to a serif default.
			return bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans"),
				[]byte("font-family:Liberation Sans,Arial,Helvetica,sans-serif")), nil
		}
	default:
		return nil, fmt.Errorf("plots: unknown format %q (want svg, pdf or png)", ext)
	}
	return buf.Bytes(), nil
}

// pdfOnce sets the PDF library's defaults once, before the first PDF.
var pdfOnce sync.Once

// reproduciblePDF makes the PDF library stamp a fixed date and sort its
// catalogs, so the same figure gives the same bytes on every run. These
// are the library's package-wide defaults; rlhfsim never wants otherwise.
func reproduciblePDF() {
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	fpdf.SetDefaultCreationDate(epoch)
	fpdf.SetDefaultModificationDate(epoch)
	fpdf.SetDefaultCatalogSort(true)
}

// Save writes the plot to path in the format its extension names, at the
// theme's size, atomically (a temporary file renamed into place).
func Save(p *plot.Plot, th *Theme, path string) error {
	b, err := Render(p, th, filepath.Ext(path))
	if err != nil {
		return err
	}
	return fileio.WriteBytes(path, b)
}

// niceTicks marks about five round values (1, 2, 2.5 or 5 times a power of
// ten) with minor marks between, and labels them with no more decimals than
// they need. gonum's default ticker can leave a short axis with only two
// labels, each with two decimals.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step, mult := 10*mag, 10.0
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*(1-1e-9) {
			step, mult = m*mag, m
			break
		}
	}
	decimals := 0
	if e := -int(math.Floor(math.Log10(step) + 1e-9)); e > 0 {
		decimals = e
	}
	if mult == 2.5 {
		decimals++
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for v := first - step; v <= hi+step*1e-9; v += step / 2 {
		if v < lo-step*1e-9 {
			continue
		}
		if k := math.Round(v / step * 2); int64(k)%2 == 0 {
			label := strconv.FormatFloat(math.Round(v/step)*step, 'f', decimals, 64)
			if label == "-0" || strings.Trim(label, "-0.") == "" {
				label = strconv.FormatFloat(0, 'f', decimals, 64)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		} else {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// Describe says in words what a figure shows, for readers who cannot see
// it: its title, each axis with its label and the range it spans, as the
// plot's data set them, and the series its legend names.
func Describe(p *plot.Plot) string {
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }
	axis := func(name string, a plot.Axis) string {
		label := a.Label.Text
		if label == "" {
			label = "unlabelled"
		}
		return fmt.Sprintf("%s axis %q from %s to %s", name, label, num(a.Min), num(a.Max))
	}
	title := p.Title.Text
	if title == "" {
		title = "an untitled chart"
	} else {
		title = fmt.Sprintf("a chart titled %q", title)
	}
	d := fmt.Sprintf("%s; %s; %s", strings.ToUpper(title[:1])+title[1:], axis("horizontal", p.X), axis("vertical", p.Y))
	if names := legendNames(p); len(names) > 0 {
		d += fmt.Sprintf("; %d series: %s", len(names), strings.Join(names, ", "))
	}
	return d + "."
}

// legendNames are the names in a plot's legend, in order. gonum/plot
// keeps the entries private, so the legend is drawn on a recorder and the
// strings it writes are read back.
func legendNames(p *plot.Plot) []string {
	var rec recorder.Canvas
	p.Legend.Draw(draw.NewCanvas(&rec, 4*vg.Inch, 3*vg.Inch))
	var names []string
	for _, a := range rec.Actions {
		if s, ok := a.(*recorder.FillString); ok && s.String != "" {
			names = append(names, s.String)
		}
	}
	return names
}
