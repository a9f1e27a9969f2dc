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
