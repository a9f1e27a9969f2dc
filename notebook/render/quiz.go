package render

import (
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"html/template"
	"strconv"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// answerElsewhere replaces a question's answer in the formats that cannot
// hold it back until the student answers (Markdown and Jupyter).
const answerElsewhere = "The answer is not printed here: answer in the HTML notebook, the live notebook (rlhfsim serve) or with rlhfsim run --interactive."

// reveal is what a page shows once a student picks an option or gives a
// number.
type reveal struct {
	Right       bool    `json:"ok"`
	Answer      int     `json:"a"`
	Explanation string  `json:"w"`
	Graded      bool    `json:"g,omitempty"` // graded later: nothing to reveal
	Value       float64 `json:"v,omitempty"` // a Number's truth
	Tol         float64 `json:"t,omitempty"`
}

// sealed returns, for each option of a question, what picking it reveals
// (right or wrong, the answer, the explanation), sealed so that the page
// source shows none of it: each option's reveal is XORed with a stream
// drawn from the question's key and the option, and the page's script
// unseals only the one the student picked.
//
// This keeps answers out of sight, not out of reach: the stream comes
// from what the page holds, so someone who reads the script can unseal
// every option. A grade never rests on it: "rlhfsim grade" reruns each
// lesson in the student's variant and checks the submitted choices.
func sealed(e *notebook.Event) []string {
	key := QuizKey(e)
	seal := func(r reveal, stream string) string {
		b, _ := json.Marshal(r)
		xorStream(b, key+":"+stream)
		return base64.StdEncoding.EncodeToString(b)
	}
	if e.Kind == notebook.Number {
		return []string{seal(reveal{Value: e.Value, Tol: e.Tol, Explanation: e.Explanation}, "n")}
	}
	out := make([]string, len(e.Options))
	for i := range e.Options {
		r := reveal{Right: i == e.Answer, Answer: e.Answer, Explanation: e.Explanation}
		if e.Answer == notebook.Graded {
			r = reveal{Graded: true}
		}
		out[i] = seal(r, strconv.Itoa(i))
	}
	return out
}

// xorStream XORs b with a xorshift32 stream seeded by the FNV-1a hash of
// seed; quizJS computes the same stream.
func xorStream(b []byte, seed string) {
	h := fnv.New32a()
	h.Write([]byte(seed))
	x := h.Sum32() | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] ^= byte(x)
	}
}

// quizJS binds the quizzes and predictions of a lesson page, static or
// live: a click unseals the picked option's reveal, marks it right or
// wrong, once, and unfolds what a prediction held back. Answers are kept
// in the browser under the lesson and each question's key (QuizKey), so
// a reload shows them again, and a question whose revealed truth changed
// (another seed, parameter or variant) asks afresh. With the question
// text and the chosen option's text, they are what the course map's
// "download your answers" puts in a submission.
const quizJS = `
window.rlhfsimQuizzes=function(root){
  // A class's page keeps each student's answers apart: lab machines are
  // shared.
  var body=document.body, lesson=body.dataset.lesson, store='rlhfsim:answers:'+lesson+(body.dataset.class?'@'+body.dataset.student:'');
  function load(){try{return JSON.parse(localStorage.getItem(store)||'{}')||{};}catch(e){return {};}}
  // save adds one answer to what is stored now: quizzes bound by other
  // calls (a live page binds each output as it arrives) save too, and a
  // snapshot taken at binding would write theirs away.
  function save(k,a){var cur=load(); cur[k]=a; try{localStorage.setItem(store,JSON.stringify(cur));}catch(e){} if(window.rlhfsimSaved){window.rlhfsimSaved(k,a);}}
  var saved=load();
  function stream(b,seed){
    var x=0x811c9dc5, s=new TextEncoder().encode(seed);
    for(var i=0;i<s.length;i++){x^=s[i]; x=Math.imul(x,0x01000193)>>>0;}
    x=(x|1)>>>0;
    for(var j=0;j<b.length;j++){x^=x<<13; x>>>=0; x^=x>>>17; x^=x<<5; x>>>=0; b[j]^=x&255;}
    return b;
  }
  function unseal(q,b){
    var raw=atob(b.dataset.r), bytes=new Uint8Array(raw.length);
    for(var i=0;i<raw.length;i++){bytes[i]=raw.charCodeAt(i);}
    return JSON.parse(new TextDecoder().decode(stream(bytes,q.dataset.key+':'+b.dataset.i)));
  }
  // fold hides what follows an unanswered prediction in its cell, but
  // for the cell's other questions.
  function fold(q, hide){
    function set(s){if(!s.classList.contains('quiz')){s.hidden=hide;}}
    var n=q;
    while(n.parentNode&&!(n.parentNode.classList&&n.parentNode.classList.contains('cell'))){
      for(var s=n.nextElementSibling;s;s=s.nextElementSibling){set(s);}
      n=n.parentNode;
    }
    for(var t=n.nextElementSibling;t;t=t.nextElementSibling){set(t);}
    var note=q.querySelector('.folded');
    if(note){note.hidden=!hide;}
  }
  function chooseNumber(q,x){
    if(q.dataset.chosen){return;}
    var b=q.querySelector('button'), inp=q.querySelector('input'), r=unseal(q,b);
    q.dataset.chosen='n';
    b.disabled=true; inp.disabled=true; inp.value=x;
    var ok=Math.abs(x-r.v)<=Math.max(r.t*Math.abs(r.v),1e-12);
    inp.classList.add(ok?'right':'wrong');
    var rv=q.querySelector('.reveal'), strong=document.createElement('strong');
    rv.textContent='';
    strong.textContent=(ok?'Right':'Not within '+(100*r.t)+'%')+': your run gives '+r.v.toPrecision(4)+'.';
    rv.appendChild(strong); rv.appendChild(document.createTextNode(' '+r.w));
    rv.hidden=false;
  }
  function choose(q,b){
    if(q.dataset.chosen){return;}
    var r=unseal(q,b), bs=q.querySelectorAll('button');
    q.dataset.chosen=b.dataset.i;
    bs.forEach(function(o){o.disabled=true;});
    b.setAttribute('aria-pressed','true');
    if(r.g){
      b.textContent=b.textContent+' (saved)';
      q.querySelector('.reveal').textContent='Your answer is saved; it is graded later.';
      q.querySelector('.reveal').hidden=false;
      return;
    }
    b.classList.add(r.ok?'right':'wrong');
    b.textContent=b.textContent+(r.ok?' (right)':' (wrong)');
    var a=bs[r.a], rv=q.querySelector('.reveal');
    rv.textContent='';
    var strong=document.createElement('strong');
    strong.textContent='Answer: '+a.textContent.replace(/ \((right|wrong)\)$/,'')+'.';
    rv.appendChild(strong); rv.appendChild(document.createTextNode(' '+r.w));
    rv.hidden=false;
    if(q.classList.contains('predict')){fold(q,false);}
  }
  root.querySelectorAll('.quiz').forEach(function(q){
    var k=q.dataset.key;
    if(q.classList.contains('number')){
      if(!q.dataset.bound){
        q.dataset.bound='1';
        q.querySelector('form').addEventListener('submit',function(ev){
          ev.preventDefault();
          var x=parseFloat(q.querySelector('input').value);
          if(q.dataset.chosen||!isFinite(x)){return;}
          save(k,{kind:'number',question:q.querySelector('.q').textContent,choice:String(x),
            seed:+body.dataset.seed,student:body.dataset.student||'',variant:body.dataset.variant||''});
          chooseNumber(q,x);
        });
      }
      if(!q.dataset.chosen&&saved[k]){chooseNumber(q,parseFloat(saved[k].choice));}
      return;
    }
    if(!q.dataset.bound){
      q.dataset.bound='1';
      q.querySelectorAll('button').forEach(function(b){
        b.addEventListener('click',function(){
          if(q.dataset.chosen){return;}
          save(k,{i:+b.dataset.i,kind:q.classList.contains('predict')?'predict':'quiz',question:q.querySelector('.q').textContent,
            choice:b.dataset.o,seed:+body.dataset.seed,student:body.dataset.student||'',variant:body.dataset.variant||''});
          choose(q,b);
          var all=document.querySelectorAll('.quiz');
          if(Array.prototype.every.call(all,function(x){return x.dataset.chosen;})){try{localStorage.setItem('rlhfsim:done:'+lesson,'1');}catch(e){}}
        });
      });
    }
    if(q.dataset.chosen){return;}
    var s=saved[k];
    if(s){var b=q.querySelector('button[data-i="'+s.i+'"]'); if(b){choose(q,b); return;}}
    if(q.classList.contains('predict')){fold(q,true);}
  });
  if(!document.querySelector('.quiz')){try{localStorage.setItem('rlhfsim:done:'+lesson,'1');}catch(e){}}
};
rlhfsimQuizzes(document);
`

// Download is the "Download your answers" button of the course map and
// the lesson pages, with its script: it gathers the answers this browser
// keeps (every lesson's on a server or in Chromium; in a browser that
// gives each local file its own storage, the page's lesson's only) into
// a file that "rlhfsim submit --answers" takes.
const Download = template.HTML(`<p class="download"><button type="button" id="download-answers">Download your answers</button> <span id="download-status" class="meta" role="status">a file to hand in with rlhfsim submit</span></p>
<script>
(function(){
  var b=document.getElementById('download-answers');
  if(!b){return;}
  b.addEventListener('click',function(){
    var all=[];
    for(var i=0;i<localStorage.length;i++){
      var k=localStorage.key(i);
      if(k.indexOf('rlhfsim:answers:')!==0){continue;}
      var m={};
      try{m=JSON.parse(localStorage.getItem(k))||{};}catch(e){}
      Object.keys(m).forEach(function(q){var a=m[q]; a.lesson=k.slice(16).split('@')[0]; all.push(a);});
    }
    var named=all.filter(function(a){return a.student;});
    var student=named.length?named[0].student:(window.prompt('Your name, as your instructor wrote it:')||'');
    var norm=function(s){return (s||'').trim().toLowerCase();};
    var variant='', answers=[];
    all.forEach(function(a){
      if(a.student&&norm(a.student)!==norm(student)){return;}
      if(a.variant){variant=variant||a.variant;}
      answers.push({lesson:a.lesson,kind:a.kind,question:a.question,choice:String(a.choice),seed:a.seed||1});
    });
    var sub={format:'rlhfsim-submission/1',student:student.trim(),answers:answers};
    if(variant){sub.variant=variant;}
    var url=URL.createObjectURL(new Blob([JSON.stringify(sub,null,2)+'\n'],{type:'application/json'}));
    var a=document.createElement('a'); a.href=url; a.download='answers.json';
    document.body.appendChild(a); a.click(); a.remove();
    document.getElementById('download-status').textContent=answers.length+' answers of '+student+' saved as answers.json: hand it in with rlhfsim submit --answers answers.json';
  });
})();
</script>`)
