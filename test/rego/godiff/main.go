// Oracle for test/rego/godiff/run.mjs: reads JSON-lines cases on stdin and answers each with
// what Go's standard library (fmt, time, regexp, strings, strconv) produces.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type Arg struct {
	T string `json:"t"`
	V string `json:"v"`
}
type Case struct {
	K      string   `json:"k"`
	Format string   `json:"format"`
	Args   []Arg    `json:"args"`
	Layout string   `json:"layout"`
	Value  string   `json:"value"`
	Ns     int64    `json:"ns,string"`
	Zone   string   `json:"zone"`
	Pat    string   `json:"pat"`
	Repl   string   `json:"repl"`
	Op     string   `json:"op"`
	S      []string `json:"s"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var c Case
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			panic(err)
		}
		var res string
		switch c.K {
		case "sprintf":
			args := make([]any, len(c.Args))
			for i, a := range c.Args {
				switch a.T {
				case "int":
					n, _ := strconv.Atoi(a.V)
					args[i] = n
				case "big":
					b, _ := new(big.Int).SetString(a.V, 10)
					args[i] = b
				case "float":
					f, _ := strconv.ParseFloat(a.V, 64)
					args[i] = f
				default:
					args[i] = a.V
				}
			}
			res = fmt.Sprintf(c.Format, args...)
		case "format":
			loc, err := time.LoadLocation(c.Zone)
			if err != nil {
				res = "ERR"
				break
			}
			res = time.Unix(0, c.Ns).In(loc).Format(c.Layout)
		case "parse":
			t, err := time.Parse(c.Layout, c.Value)
			if err != nil {
				res = "ERR"
			} else if t.Before(time.Unix(0, -1<<63)) || t.After(time.Unix(0, 1<<63-1)) {
				res = "RANGE"
			} else {
				res = strconv.FormatInt(t.UnixNano(), 10)
			}
		case "duration":
			d, err := time.ParseDuration(c.Value)
			if err != nil {
				res = "ERR " + err.Error()
			} else {
				res = strconv.FormatInt(int64(d), 10)
			}
		case "str":
			a := c.S
			switch c.Op {
			case "trim":
				res = strings.Trim(a[0], a[1])
			case "trimleft":
				res = strings.TrimLeft(a[0], a[1])
			case "trimright":
				res = strings.TrimRight(a[0], a[1])
			case "trimspace":
				res = strings.TrimSpace(a[0])
			case "lower":
				res = strings.ToLower(a[0])
			case "upper":
				res = strings.ToUpper(a[0])
			case "count":
				res = strconv.Itoa(strings.Count(a[0], a[1]))
			case "split":
				b, _ := json.Marshal(strings.Split(a[0], a[1]))
				res = string(b)
			case "replace":
				res = strings.NewReplacer(a[1:]...).Replace(a[0])
			case "quote":
				res = strconv.Quote(a[0])
			}
		case "regex":
			re, err := regexp.Compile(c.Pat)
			if err != nil {
				res = "ERR"
				break
			}
			b, _ := json.Marshal([]any{re.MatchString(c.Value), re.Split(c.Value, -1), re.FindAllStringSubmatch(c.Value, -1), re.ReplaceAllString(c.Value, c.Repl)})
			res = string(b)
		}
		b, _ := json.Marshal(res)
		out.Write(b)
		out.WriteByte('\n')
	}
}
