package serve

// liveJS runs on every lesson page the server sends. It needs no network
// beyond the server: every asset is in the page.
const liveJS = `
(function(){
  var form=document.getElementById('controls');
  if(!form){return;}
  var lesson=form.dataset.lesson;
  var key=function(k){return 'rlhfsim:'+k+':'+lesson;};
  var page=Math.random().toString(36).slice(2)+Date.now().toString(36);
  var es=null, timer=null;
  function status(t, bad){var s=document.getElementById('status'); if(s){s.textContent=t; s.classList.toggle('bad', !!bad);}}
  // Quizzes are bound by the page's own script (render's quizJS); a
  // cell's new output is bound again as it arrives.
  function bind(root){window.rlhfsimQuizzes(root);}
  function query(withPage){
    var q=new URLSearchParams();
    form.querySelectorAll('input,select').forEach(function(el){
      q.set(el.name, el.type==='checkbox'?String(el.checked):el.value);
    });
    if(withPage){q.set('page',page);}
    return q;
  }
  function cell(i){return document.getElementById('cell-'+i);}
  function run(){
    if(es){es.close(); es=null;}
    status('Running…');
    history.replaceState(null,'','/lesson/'+lesson+'?'+query(false));
    var running=null;
    es=new EventSource('/api/run/'+lesson+'?'+query(true));
    es.addEventListener('start',function(m){
      var d=JSON.parse(m.data), c=cell(d.cell);
      if(running){running.classList.remove('running');}
      if(!c){return;}
      c.querySelectorAll('.out,figure,table.nbt,.check,.quiz,.error,.notrun,.live').forEach(function(n){n.remove();});
      c.classList.add('running'); running=c;
      status('Running cell '+(d.cell+1)+'…');
    });
    es.addEventListener('item',function(m){
      var d=JSON.parse(m.data), c=cell(d.cell);
      if(!c){return;}
      var box=document.createElement('div'); box.className='live'; box.innerHTML=d.html;
      c.appendChild(box);
      bind(c);
    });
    es.addEventListener('queued',function(m){
      var d=JSON.parse(m.data);
      if(d.position){status('The server is busy: your run is queued (position '+d.position+')…');}
    });
    es.addEventListener('dropped',function(m){
      status('Running… (output is arriving faster than the page can show it; the whole page follows when the run ends)');
    });
    es.addEventListener('done',function(m){
      var d=JSON.parse(m.data);
      es.close(); es=null;
      var doc=new DOMParser().parseFromString(d.html,'text/html');
      document.querySelector('main').replaceWith(doc.querySelector('main'));
      // The body says which run the page shows, and answers are saved
      // with it: seed, student and variant come from the new run.
      ['seed','student','variant'].forEach(function(k){document.body.dataset[k]=doc.body.dataset[k]||'';});
      bind(document);
      status(d.status);
    });
    es.addEventListener('broken',function(m){
      es.close(); es=null;
      document.open(); document.write(JSON.parse(m.data).html); document.close();
    });
    es.addEventListener('failure',function(m){
      es.close(); es=null; status('Failed: '+JSON.parse(m.data).message);
    });
    es.onerror=function(){
      if(!es){return;}
      es.close(); es=null;
      // Ask the server why: a refused stream cannot say.
      fetch('/api/check/'+lesson+'?'+query(false)).then(function(r){return r.json();}).then(function(v){
        form.querySelectorAll('[aria-invalid]').forEach(function(el){el.removeAttribute('aria-invalid');});
        if(v.error){
          var el=v.field&&form.querySelector('[name="'+CSS.escape(v.field)+'"]');
          if(el){el.setAttribute('aria-invalid','true'); el.focus();}
          status('Not run: '+v.error, true);
        }else{
          status('The connection was lost: change a value to run again.', true);
        }
      }).catch(function(){status('The connection was lost: change a value to run again.', true);});
    };
  }
  if(!form.dataset.broken){
    bind(document);
    form.addEventListener('submit',function(e){e.preventDefault();});
    form.addEventListener('input',function(e){
      var o=form.querySelector('output[for="'+e.target.id+'"]');
      if(o){o.textContent=e.target.value;}
      clearTimeout(timer); timer=setTimeout(run,400);
    });
    // A slow lesson's page comes before its run: start it.
    if(form.dataset.pending){run();}
    form.addEventListener('change',function(e){
      if(e.target.tagName==='SELECT'||e.target.type==='checkbox'){clearTimeout(timer); timer=setTimeout(run,400);}
    });
  }
  if(rlhfsimWatch){
    setInterval(function(){
      fetch('/api/version/'+lesson).then(function(r){return r.json();}).then(function(v){
        if(v.version!==rlhfsimVersion){location.reload();}
      }).catch(function(){});
    },1500);
  }
})();`

// classJS runs on a class member's lesson page, live or in the browser
// (the site's): it saves each answer on the server, which keeps the first
// one a student gives, and shows the answers saved there from any
// browser. This browser keeps a copy, and the answers the server has not
// taken yet, which it sends again until it does.
const classJS = `
(function(){
  var form=document.getElementById('controls');
  if(!form||!document.body.dataset.class){return;}
  var lesson=form.dataset.lesson;
  var student=document.body.dataset.student, unsent='rlhfsim:unsent@'+student;
  var copy='rlhfsim:answers:'+lesson+'@'+student, sending=false, stopped=false;
  var pending=function(){try{return JSON.parse(localStorage.getItem(unsent)||'[]')||[];}catch(e){return [];}};
  var keep=function(list){try{localStorage.setItem(unsent,JSON.stringify(list));}catch(e){}};
  var said=function(t,bad){var s=document.getElementById('saved'); if(s){s.textContent=t; s.classList.toggle('bad',!!bad);}};
  var flush=function(){
    var list=pending();
    if(sending||stopped||!list.length){return;}
    sending=true;
    var item=list[0];
    // Another tab may have sent or queued answers meanwhile: only this
    // one leaves the queue.
    var drop=function(){keep(pending().filter(function(x){return !(x.lesson===item.lesson&&x.a.key===item.a.key);}));};
    fetch('/api/answer/'+item.lesson,{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(item.a)}).then(function(r){
      return r.text().then(function(t){
        sending=false;
        if(r.ok){
          drop();
          var d={};
          try{d=JSON.parse(t);}catch(e){}
          if(d.first===false&&d.choice!==item.a.choice){
            said('You had answered \u201c'+d.choice+'\u201d before, in another browser: that first answer is the one kept.');
          }else{
            said('Your answers are saved on the class\'s server.');
          }
          flush();
        }else if(r.status===400||r.status===404){
          drop(); // never to be taken
          said('Not saved: '+t,true);
          flush();
        }else if(r.status===403||r.status===409){
          // Signed in as someone else, or the link was revoked: the
          // answers wait here until this student's link is opened again.
          stopped=true;
          said(t,true);
        }else{
          said('Not saved yet: '+t,true);
        }
      });
    }).catch(function(){
      sending=false;
      said('Not saved yet: the server does not answer. Your answers are kept in this browser and sent again when it does.',true);
    });
  };
  window.rlhfsimSaved=function(k,a){
    var list=pending();
    list.push({lesson:lesson,a:{student:student,key:k,kind:a.kind,question:a.question,choice:String(a.choice),i:(typeof a.i==='number'?a.i:null),seed:a.seed||1}});
    keep(list);
    flush();
  };
  setInterval(flush,5000);
  flush();
  fetch('/api/answers/'+lesson).then(function(r){return r.ok?r.json():{};}).then(function(m){
    var cur={};
    try{cur=JSON.parse(localStorage.getItem(copy)||'{}')||{};}catch(e){}
    Object.keys(m).forEach(function(k){cur[k]=m[k];});
    try{localStorage.setItem(copy,JSON.stringify(cur));}catch(e){}
    window.rlhfsimQuizzes(document);
  }).catch(function(){});
})();`
