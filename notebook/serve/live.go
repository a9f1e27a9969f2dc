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
  function status(t){var s=document.getElementById('status'); if(s){s.textContent=t;}}
  // Quizzes: restore saved answers, save new ones, mark the lesson done
  // when every question has an answer.
  function bind(root){
    var qs=root.querySelectorAll('.quiz');
    var saved={};
    try{saved=JSON.parse(localStorage.getItem(key('answers'))||'{}');}catch(e){}
    // Answers are saved under each question's key (render.QuizKey), not
    // its position: a new seed that changes what a prediction reveals, or
    // a quiz inserted above, asks afresh instead of showing an old answer.
    qs.forEach(function(q){
      var n=q.dataset.key;
      function choose(b){
        if(q.dataset.chosen){return;}
        q.dataset.chosen=b.dataset.i;
        q.querySelectorAll('button').forEach(function(o){o.disabled=true;});
        var ok=b.dataset.i===q.dataset.answer;
        b.classList.add(ok?'right':'wrong');
        b.setAttribute('aria-pressed','true');
        b.textContent=b.textContent.replace(/ \((right|wrong)\)$/,'')+(ok?' (right)':' (wrong)');
        q.querySelector('.reveal').hidden=false;
      }
      q.querySelectorAll('button').forEach(function(b){
        if(b.dataset.bound){return;}
        b.dataset.bound='1';
        b.addEventListener('click',function(){
          if(q.dataset.chosen){return;}
          choose(b);
          saved[n]=b.dataset.i;
          localStorage.setItem(key('answers'),JSON.stringify(saved));
          if(Array.prototype.every.call(qs,function(x){return x.dataset.chosen;})){localStorage.setItem(key('done'),'1');}
        });
        if(saved[n]===b.dataset.i){choose(b);}
      });
    });
    if(qs.length===0){localStorage.setItem(key('done'),'1');}
  }
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
    });
    es.addEventListener('dropped',function(m){
      status('Running… (output is arriving faster than the page can show it; the whole page follows when the run ends)');
    });
    es.addEventListener('done',function(m){
      var d=JSON.parse(m.data);
      es.close(); es=null;
      var doc=new DOMParser().parseFromString(d.html,'text/html');
      document.querySelector('main').replaceWith(doc.querySelector('main'));
      bind(document);
      status(d.status);
    });
    es.addEventListener('failure',function(m){
      es.close(); es=null; status('Failed: '+JSON.parse(m.data).message);
    });
    es.onerror=function(){
      if(es){es.close(); es=null; status('The run was refused or the connection was lost: check the values and change one to try again.');}
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
    form.addEventListener('change',function(e){
      if(e.target.tagName==='SELECT'||e.target.type==='checkbox'){clearTimeout(timer); timer=setTimeout(run,400);}
    });
  }
  if(rlhfsimWatch){
    var seen=null;
    setInterval(function(){
      fetch('/api/version/'+lesson).then(function(r){return r.json();}).then(function(v){
        if(seen!==null&&v.version!==seen){location.reload();}
        seen=v.version;
      }).catch(function(){});
    },1500);
  }
})();`
